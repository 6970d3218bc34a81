//! The fuzz targets: what must hold for any bytes a peer sends. `fuzz/` runs them under
//! libFuzzer (`cargo +nightly fuzz run <target>`, from its corpus in `fuzz/corpus/`); the
//! protocol's tests replay that corpus, and every cut of it, on stable (`tests/fuzz_corpus.rs`),
//! so what the fuzzer once found stays fixed.

use crate::{ClientMsg, ServerMsg};

/// A frame from a client, as the server reads it: a typed error or a request, and a request
/// encodes to a frame that reads back the same.
pub fn client_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = ClientMsg::parse_request(text) else {
        return;
    };
    let frame = match request.req {
        Some(req) => request.msg.to_frame_with(req),
        None => request.msg.to_frame(),
    };
    let again = ClientMsg::parse_request(&frame);
    assert_eq!(again.as_ref().map(|r| &r.msg), Ok(&request.msg), "{frame}");
}

/// A frame from the server, as the apps read it: when the agent's hand-written reader and
/// serde's derived one both take it, they read the same message (they may differ on taking
/// broken text in a field nobody reads: the hand reader decodes every string, serde skips
/// what it ignores); the contact's reader (which leaves out what contacts never receive)
/// reads or refuses without a crash; a message read encodes and reads back the same.
pub fn server_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ServerMsg::parse_contact(text);
    let by_hand = ServerMsg::parse_agent(text);
    if let (Ok(by_hand), Ok(derived)) = (by_hand, ServerMsg::parse(text)) {
        assert_eq!(by_hand, derived, "the readers differ on {text}");
        let frame = derived.to_frame();
        assert_eq!(ServerMsg::parse_agent(&frame), Ok(derived), "{frame}");
    }
}

/// A visitor's journey as a site sends it: read, or refused; what is read writes and reads
/// back the same.
pub fn journey(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(visits) = crate::visit::parse_journey(text) {
        let again = crate::visit::parse_journey(&crate::visit::journey_value(&visits));
        assert_eq!(again.as_ref(), Some(&visits), "{text}");
    }
}
