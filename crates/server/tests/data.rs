//! What the server keeps about contacts, and forgetting it: erasure on request (retention uses
//! the same forgetting; the store contract checks both on either store).

mod common;

use common::*;

/// `parley-server` run beside the server, on its configuration and database.
fn command(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_parley-server"))
        .arg("--config")
        .arg(demo_config_path())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("runs")
}

#[tokio::test]
async fn erasing_a_contact_removes_their_closed_chats_files_and_tokens_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let addr = spawn_server(&db, |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    // Two chats of ana@example.com (verified): one over, with a file; one still going.
    let (over, _contact, over_token) = chat_with(addr, &mut kate, "Ana").await;
    let sent = upload(addr, &over_token, &over, "a.png", "image/png", PNG).await;
    assert_eq!(sent.status, 201);
    let file: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    let file_id = file["file"]["id"].as_str().expect("id").to_owned();
    let on_disk = dir.path().join("files").join(&file_id);
    assert!(on_disk.exists(), "{}", on_disk.display());
    finish(&mut kate, &over).await;
    let (open, _c, open_token) = chat_with(addr, &mut kate, "Ana").await;
    // Someone else's chat stays.
    let (_other, _c2, other_token) = chat_with(addr, &mut kate, "Mark").await;

    let out = command(&db, &["erase", "--email", "ANA@example.com"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("erased 1 chats of ANA@example.com: ")
            && said.contains(", 1 files, 1 contact tokens"),
        "{said}"
    );
    assert!(
        said.contains(&format!("still open, not erased: {}", open.as_str())),
        "{said}"
    );

    assert!(!on_disk.exists(), "the file's bytes are gone");
    let auth = format!("Bearer {}", login(addr, "kate").await);
    let fetched = request(
        addr,
        "GET",
        &format!("/api/files/{file_id}"),
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(fetched.status, 404);
    assert!(
        !admitted(addr, &over_token).await,
        "the erased chat's token is gone"
    );
    assert!(admitted(addr, &open_token).await, "the open chat is left");
    assert!(
        admitted(addr, &other_token).await,
        "another contact is untouched"
    );

    // An address that is none is refused with a reason.
    let out = command(&db, &["erase", "--email", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an e-mail address"));
}

#[tokio::test]
async fn retention_forgets_closed_chats_past_their_time_with_their_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let addr = spawn_server(&db, |_| {}).await;
    let mut kate = ready_agent(addr, "kate").await;
    let (over, _contact, token) = chat_with(addr, &mut kate, "Ana").await;
    let sent = upload(addr, &token, &over, "a.png", "image/png", PNG).await;
    let file: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    let on_disk = dir
        .path()
        .join("files")
        .join(file["file"]["id"].as_str().expect("id"));
    finish(&mut kate, &over).await;
    let (_open, _c, open_token) = chat_with(addr, &mut kate, "Mark").await;

    let store = parley_server::store::SqliteStore::open(&db)
        .await
        .expect("store");
    let files = parley_server::files::FileDir::new(dir.path().join("files"));
    let now = parley_server::now_ms();
    // Not yet past its time: nothing goes.
    let kept = parley_server::retention::sweep(&store, &files, now - 60_000)
        .await
        .expect("sweep");
    assert_eq!(kept.chats, 0);
    assert!(on_disk.exists());
    let gone = parley_server::retention::sweep(&store, &files, now + 1_000)
        .await
        .expect("sweep");
    assert_eq!((gone.chats, gone.files.len()), (1, 1));
    assert!(!on_disk.exists());
    assert!(!admitted(addr, &token).await);
    assert!(
        admitted(addr, &open_token).await,
        "an open chat is never forgotten"
    );
}

#[tokio::test]
async fn the_audit_log_tells_who_opened_read_and_exported_a_chat_and_when() {
    use parley_protocol::{ClientMsg, ServerMsg};
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let (key, key_hash) = parley_server::api::keys::new_key();
    let addr = spawn_server(&db, |c| {
        c.api_keys = vec![parley_server::config::ApiKeyConfig {
            name: "reports".into(),
            key_hashes: vec![key_hash],
            scopes: vec!["chats.read".into()],
            requests_per_minute: 600,
        }];
    })
    .await;
    let mut kate = ready_agent(addr, "kate").await;
    let (first, _c, token) = chat_with(addr, &mut kate, "Ana").await;
    let sent = upload(addr, &token, &first, "a.png", "image/png", PNG).await;
    let file: serde_json::Value = serde_json::from_slice(&sent.body).expect("json");
    let file_id = file["file"]["id"].as_str().expect("id").to_owned();
    finish(&mut kate, &first).await;

    // Ana's next chat: Kate reads the one before beside it, and opens its file again.
    let (second, _c2, _) = chat_with(addr, &mut kate, "Ana").await;
    kate.send(&ClientMsg::Earlier {
        interaction: second.clone(),
        before: i64::MAX,
    })
    .await;
    kate.expect(|m| matches!(m, ServerMsg::Earlier { chat: Some(_), .. }))
        .await;
    let session = login(addr, "kate").await;
    let auth = format!("Bearer {session}");
    let path = format!("/api/files/{file_id}");
    assert_eq!(
        request(addr, "GET", &path, &[("Authorization", &auth)], b"")
            .await
            .status,
        200
    );
    // A host exports its transcript.
    let auth = format!("Bearer {key}");
    let path = format!("/api/v1/chats/{}/transcript", first.as_str());
    assert_eq!(
        request(addr, "GET", &path, &[("Authorization", &auth)], b"")
            .await
            .status,
        200
    );

    let out = command(&db, &["audit", "--chat", first.as_str()]);
    let trail = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{trail} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acts: Vec<String> = trail
        .lines()
        .map(|l| l.split("  ").skip(1).take(2).collect::<Vec<_>>().join(" "))
        .collect();
    for expected in [
        "contact started",
        "agent:kate opened",
        "agent:kate done",
        "agent:kate read",
        "agent:kate read_file",
        "api:reports exported",
    ] {
        assert!(
            acts.iter().any(|a| a == expected),
            "{expected:?} in\n{trail}"
        );
    }
    assert!(
        trail.contains(&format!("beside {}", second.as_str())),
        "{trail}"
    );
    // In time order: opened before done before the reads.
    let at = |act: &str| acts.iter().position(|a| a == act).expect("listed");
    assert!(at("agent:kate opened") < at("agent:kate done"));
    assert!(at("agent:kate done") < at("agent:kate read"));
    assert!(at("agent:kate read_file") < at("api:reports exported"));
}
