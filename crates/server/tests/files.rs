//! Files over real HTTP and sockets: upload limits and the allowlist, and access for the
//! parties of the chat only.

mod common;

use common::*;
use parley_protocol::{EventKind, FileRef};

#[tokio::test]
async fn files_go_both_ways_and_only_parties_can_fetch_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.server.max_file_bytes = 4096).await;
    let kate_token = login(addr, "kate").await;
    let mut kate = ready_agent_with(addr, &kate_token).await;
    let (ix, mut contact, contact_token) = chat_with(addr, &mut kate, "Mark Avram").await;

    // The contact sends an image: both sides get a file event; the name loses its path.
    let sent = upload(addr, &contact_token, &ix, "..%2Fcard.png", "image/png", PNG).await;
    assert_eq!(sent.status, 201, "{}", String::from_utf8_lossy(&sent.body));
    let body: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    let file: FileRef = serde_json::from_value(body["file"].clone()).expect("file");
    assert_eq!(
        (file.name.as_str(), file.mime.as_str()),
        ("card.png", "image/png")
    );
    for side in [&mut kate, &mut contact] {
        side.expect_event(
            &ix,
            |k| matches!(k, EventKind::File { file: f, .. } if f.id == file.id),
        )
        .await;
    }

    // Parties fetch it, with headers that stop a browser from treating it as anything else.
    let auth = format!("Bearer {kate_token}");
    let got = request(addr, "GET", &file.url(), &[("Authorization", &auth)], b"").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, PNG);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        got.header("content-disposition"),
        Some("inline; filename=\"card.png\"")
    );
    let cookie = format!("parley_session={kate_token}");
    let by_cookie = request(addr, "GET", &file.url(), &[("Cookie", &cookie)], b"").await;
    assert_eq!(
        by_cookie.status, 200,
        "the agent's session cookie works for <img>"
    );
    let contact_auth = format!("Bearer {contact_token}");
    let own = request(
        addr,
        "GET",
        &file.url(),
        &[("Authorization", &contact_auth)],
        b"",
    )
    .await;
    assert_eq!(own.status, 200);

    // Not a party: 403. Nobody: 401. No such file: 404.
    let john_token = login(addr, "john").await;
    let john_auth = format!("Bearer {john_token}");
    let john = request(
        addr,
        "GET",
        &file.url(),
        &[("Authorization", &john_auth)],
        b"",
    )
    .await;
    assert_eq!(john.status, 403);
    assert_eq!(
        request(addr, "GET", &file.url(), &[], b"").await.status,
        401
    );
    let missing = format!("/api/files/{}", "0".repeat(32));
    assert_eq!(
        request(addr, "GET", &missing, &[("Authorization", &auth)], b"")
            .await
            .status,
        404
    );
    let (other, _) = start_chat(addr, "Avril Mai", "Hi").await;
    assert_eq!(
        upload(addr, &contact_token, &other, "x.png", "image/png", PNG)
            .await
            .status,
        403,
        "a contact cannot send into another chat"
    );
    assert_eq!(
        upload(addr, &john_token, &ix, "x.png", "image/png", PNG)
            .await
            .status,
        403,
        "nor an agent who is not in it"
    );

    // The agent sends a PDF the other way.
    let pdf = upload(
        addr,
        &kate_token,
        &ix,
        "terms.pdf",
        "application/pdf",
        b"%PDF-1.7\n%...",
    )
    .await;
    assert_eq!(pdf.status, 201);
    contact
        .expect_event(
            &ix,
            |k| matches!(k, EventKind::File { file, .. } if file.name == "terms.pdf"),
        )
        .await;
}

#[tokio::test]
async fn uploads_are_refused_by_size_content_and_label() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| c.server.max_file_bytes = 4096).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let refused = |r: &Reply| String::from_utf8_lossy(&r.body).into_owned();

    let big = [PNG, &[0u8; 5000][..]].concat();
    let r = upload(addr, &token, &ix, "big.png", "image/png", &big).await;
    assert_eq!(r.status, 413, "{}", refused(&r));

    let r = upload(
        addr,
        &token,
        &ix,
        "tool.png",
        "image/png",
        b"MZ\x90\0\x03\0\0\0",
    )
    .await;
    assert_eq!(r.status, 415);
    assert!(refused(&r).contains("not accepted"), "{}", refused(&r));

    let r = upload(addr, &token, &ix, "card.png", "application/pdf", PNG).await;
    assert_eq!(r.status, 415, "mislabelled: {}", refused(&r));
    let r = upload(addr, &token, &ix, "card.html", "image/png", PNG).await;
    assert_eq!(r.status, 415, "a .html name on an image");

    let mut gifar = b"GIF89a\x01\0\x01\0\x80\0\0".to_vec();
    gifar.extend_from_slice(b"<script>alert(document.cookie)</script>");
    let r = upload(addr, &token, &ix, "cat.gif", "image/gif", &gifar).await;
    assert_eq!(r.status, 415, "polyglot: {}", refused(&r));
    assert!(refused(&r).contains("markup"));

    let r = upload(addr, &token, &ix, "empty.png", "image/png", b"").await;
    assert_eq!(r.status, 415);

    // Nothing refused reached the chat or the disk.
    let kept = std::fs::read_dir(dir.path().join("files"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(kept, 0);
    assert!(!kate
        .events(&ix)
        .iter()
        .any(|e| matches!(e.kind, EventKind::File { .. })));
}

#[tokio::test]
async fn an_agent_attaches_the_file_of_a_standard_response() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |_| {}).await;
    let kate_token = login(addr, "kate").await;
    let mut kate = ready_agent_with(addr, &kate_token).await;
    let (ix, mut contact, contact_token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let path = |response: &str| {
        format!(
            "/api/files/response?interaction={}&response={}",
            ix.as_str(),
            response.replace(' ', "%20")
        )
    };
    let auth = format!("Bearer {kate_token}");
    let sent = request(
        addr,
        "POST",
        &path("Card help sheet"),
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(sent.status, 201, "{}", String::from_utf8_lossy(&sent.body));
    contact
        .expect_event(&ix, |k| {
            matches!(k, EventKind::File { file, .. } if file.name == "card-help.pdf" && file.mime == "application/pdf")
        })
        .await;
    let missing = request(
        addr,
        "POST",
        &path("Greeting"),
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(missing.status, 404, "a response without a file");
    let contact_auth = format!("Bearer {contact_token}");
    let by_contact = request(
        addr,
        "POST",
        &path("Card help sheet"),
        &[("Authorization", &contact_auth)],
        b"",
    )
    .await;
    assert_eq!(
        by_contact.status, 403,
        "only agents attach standard responses"
    );
}

#[tokio::test]
async fn an_upload_the_chat_cannot_take_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let addr = spawn_server(&dir.path().join("p.db"), |c| {
        c.server.max_files_per_chat = 1
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (ix, _contact, token) = chat_with(addr, &mut kate, "Mark Avram").await;
    let first = upload(addr, &token, &ix, "one.png", "image/png", PNG).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );

    // The second is refused before it is stored (the chat's files are counted first): the
    // answer names why, for the apps to say it in the uploader's language, and the English
    // text stays beside it.
    let second = upload(addr, &token, &ix, "two.png", "image/png", PNG).await;
    assert_eq!(
        second.status,
        413,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let body: serde_json::Value = serde_json::from_slice(&second.body).expect("json");
    assert_eq!(body["reason"], "files_full", "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );

    // A chat that has ended takes no file: the engine refuses it, and its reason comes back.
    let (ended, _contact, _) = chat_with(addr, &mut kate, "Avril Mai").await;
    end_chat(&mut kate, &ended).await;
    let kate_token = login(addr, "kate").await;
    let late = upload(addr, &kate_token, &ended, "late.png", "image/png", PNG).await;
    let body: serde_json::Value = serde_json::from_slice(&late.body).expect("json");
    assert_eq!(
        (late.status, &body["reason"]),
        (400, &"chat_ended".into()),
        "{body}"
    );
}
