//! What the server keeps about contacts, and forgetting it: erasure on request (retention uses
//! the same forgetting; the store contract checks both on either store).

mod common;

use common::*;

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

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley-server"))
        .arg("--config")
        .arg(demo_config_path())
        .arg("--db")
        .arg(&db)
        .args(["erase", "--email", "ANA@example.com"])
        .output()
        .expect("runs");
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley-server"))
        .arg("--config")
        .arg(demo_config_path())
        .arg("--db")
        .arg(&db)
        .args(["erase", "--email", "nobody"])
        .output()
        .expect("runs");
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

    let store = parley_server::store::SqliteStore::open(&db).await.expect("store");
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
    assert!(admitted(addr, &open_token).await, "an open chat is never forgotten");
}
