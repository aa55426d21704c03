//! The mailbox tree: LIST (and its extensions), CREATE, RENAME, DELETE, SUBSCRIBE,
//! LSUB, STATUS, NAMESPACE, SELECT/EXAMINE responses, QUOTA.

use super::*;

#[tokio::test]
async fn list_create_rename_delete_and_subscriptions() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.login("pat").await;
    let list = c.cmd("LIST \"\" \"*\"").await;
    assert!(list.ok());
    assert_eq!(
        list.untagged,
        [
            "* LIST (\\HasNoChildren) \".\" INBOX",
            "* LIST (\\HasNoChildren \\Drafts) \".\" Drafts",
            "* LIST (\\HasNoChildren \\Junk) \".\" Junk",
            "* LIST (\\HasNoChildren \\Sent) \".\" Sent",
            "* LIST (\\HasNoChildren \\Trash) \".\" Trash",
        ]
    );
    let root = c.cmd("LIST \"\" \"\"").await;
    assert_eq!(root.untagged, ["* LIST (\\Noselect) \".\" \"\""]);

    assert!(c.cmd("CREATE Work.2026").await.ok());
    let dup = c.cmd("CREATE Work.2026").await;
    assert_eq!(dup.status, "NO [ALREADYEXISTS] Mailbox already exists");
    assert!(c.cmd("CREATE Entw&APw-rfe").await.ok());
    let work = c.cmd("LIST \"\" \"Work*\"").await;
    assert_eq!(
        work.untagged,
        [
            "* LIST (\\Noselect \\HasChildren) \".\" Work",
            "* LIST (\\HasNoChildren) \".\" Work.2026",
        ]
    );
    let percent = c.cmd("LIST \"\" %").await;
    assert!(
        percent.has("* LIST (\\HasNoChildren) \".\" Entw&APw-rfe"),
        "{percent:?}"
    );
    assert!(percent.has("* LIST (\\Noselect \\HasChildren) \".\" Work"));
    assert!(!percent.untagged.iter().any(|l| l.contains("Work.2026")));
    assert!(h.maildir("pat").join(".Entw&APw-rfe").is_dir());

    assert!(c.cmd("CREATE Work").await.ok());
    assert!(c.cmd("RENAME Work Projects").await.ok());
    let renamed = c.cmd("LIST \"\" \"Projects.*\"").await;
    assert_eq!(
        renamed.untagged,
        ["* LIST (\\HasNoChildren) \".\" Projects.2026"]
    );
    let gone = c.cmd("RENAME Work Other").await;
    assert_eq!(gone.status, "NO [NONEXISTENT] Mailbox does not exist");
    assert!(c.cmd("DELETE Projects.2026").await.ok());
    let missing = c.cmd("DELETE Projects.2026").await;
    assert!(
        missing.status.starts_with("NO [NONEXISTENT]"),
        "{missing:?}"
    );
    let inbox = c.cmd("DELETE INBOX").await;
    assert!(inbox.status.starts_with("NO [CANNOT]"), "{inbox:?}");

    assert!(c.cmd("SUBSCRIBE Entw&APw-rfe").await.ok());
    let subscribed = c.cmd("LIST (SUBSCRIBED) \"\" \"*\"").await;
    assert!(
        subscribed.has("* LIST (\\HasNoChildren \\Subscribed) \".\" Entw&APw-rfe"),
        "{subscribed:?}"
    );
    assert!(subscribed.has("* LIST (\\HasNoChildren \\Sent \\Subscribed) \".\" Sent"));
    assert!(!subscribed.untagged.iter().any(|l| l.ends_with(" INBOX")));
    let lsub = c.cmd("LSUB \"\" \"*\"").await;
    assert!(lsub.has("* LSUB () \".\" Entw&APw-rfe"), "{lsub:?}");
    assert!(c.cmd("UNSUBSCRIBE Entw&APw-rfe").await.ok());
    let lsub = c.cmd("LSUB \"\" \"Entw*\"").await;
    assert!(lsub.untagged.is_empty(), "{lsub:?}");

    // UTF-8 names once UTF8=ACCEPT is enabled.
    assert!(c.cmd("ENABLE UTF8=ACCEPT").await.ok());
    let utf8 = c.cmd("LIST \"\" \"Entw*\"").await;
    assert_eq!(
        utf8.untagged,
        ["* LIST (\\HasNoChildren) \".\" \"Entwürfe\""]
    );
}

#[tokio::test]
async fn list_extended_options_status_and_namespace() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.login("pat").await;
    assert!(c.append("INBOX", b"Subject: a\r\n\r\nx\r\n").await.ok());
    assert!(
        c.append("INBOX (\\Seen)", b"Subject: b\r\n\r\nyy\r\n")
            .await
            .ok()
    );
    let st = c
        .cmd("LIST \"\" INBOX RETURN (STATUS (MESSAGES UNSEEN SIZE))")
        .await;
    assert_eq!(
        st.untagged,
        [
            "* LIST (\\HasNoChildren) \".\" INBOX",
            "* STATUS INBOX (MESSAGES 2 UNSEEN 1 SIZE 35)",
        ]
    );
    let special = c.cmd("LIST (SPECIAL-USE) \"\" \"*\"").await;
    assert_eq!(special.untagged.len(), 4, "{special:?}");
    let bad = c.cmd("LIST (RECURSIVEMATCH) \"\" \"*\"").await;
    assert!(bad.status.starts_with("BAD"), "{bad:?}");
    assert!(c.cmd("CREATE Lists.rust").await.ok());
    assert!(c.cmd("SUBSCRIBE Lists.rust").await.ok());
    let recursive = c.cmd("LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"").await;
    assert!(
        recursive
            .has("* LIST (\\Noselect \\HasChildren) \".\" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))"),
        "{recursive:?}"
    );
    let status = c
        .cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ)")
        .await;
    let line = &status.untagged[0];
    assert!(
        line.starts_with("* STATUS INBOX (MESSAGES 2 RECENT 1 UIDNEXT 3 UIDVALIDITY "),
        "{line}"
    );
    assert!(
        line.contains(" UNSEEN 1 DELETED 0 SIZE 35 HIGHESTMODSEQ "),
        "{line}"
    );
    let none = c.cmd("STATUS Nowhere (MESSAGES)").await;
    assert_eq!(none.status, "NO [NONEXISTENT] Mailbox does not exist");
    let ns = c.cmd("NAMESPACE").await;
    assert_eq!(ns.untagged, ["* NAMESPACE ((\"\" \".\")) NIL NIL"]);
}

#[tokio::test]
async fn select_and_examine_describe_the_mailbox() {
    let h = harness("").await;
    h.user("pat", 0).await;
    h.deliver("pat", b"Subject: one\n\nbody\n");
    h.deliver("pat", b"Subject: two\n\nbody\n");
    let mut c = h.login("pat").await;
    assert!(
        c.append("INBOX ($Work)", b"Subject: three\r\n\r\n.\r\n")
            .await
            .ok()
    );
    let select = c.cmd("SELECT INBOX").await;
    assert_eq!(select.status, "OK [READ-WRITE] SELECT completed");
    let u = &select.untagged;
    assert_eq!(u[0], "* 3 EXISTS");
    assert_eq!(u[1], "* 2 RECENT");
    assert_eq!(u[2], "* OK [UNSEEN 1] First unseen");
    assert!(u[3].starts_with("* OK [UIDVALIDITY "), "{u:?}");
    assert_eq!(u[4], "* OK [UIDNEXT 4] Predicted next UID");
    assert!(u[5].starts_with("* OK [HIGHESTMODSEQ "), "{u:?}");
    assert_eq!(
        u[6],
        "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work)"
    );
    assert_eq!(
        u[7],
        "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work \\*)] Flags permitted"
    );
    // A second session sees no \Recent: the first claimed them.
    let mut other = h.login("pat").await;
    let examine = other.cmd("EXAMINE INBOX").await;
    assert_eq!(examine.status, "OK [READ-ONLY] EXAMINE completed");
    assert!(examine.has("* 0 RECENT"), "{examine:?}");
    assert!(examine.has("* OK [PERMANENTFLAGS ()] No permanent flags permitted"));
    let store = other.cmd("STORE 1 +FLAGS (\\Seen)").await;
    assert!(store.status.starts_with("NO"), "{store:?}");
    // IMAP4rev2: no RECENT, a LIST response, [CLOSED] when switching.
    assert!(other.cmd("UNSELECT").await.ok());
    assert!(other.cmd("ENABLE IMAP4rev2").await.ok());
    let rev2 = other.cmd("SELECT INBOX").await;
    assert!(rev2.ok());
    assert!(rev2.with("* 0 RECENT").is_empty() && rev2.with("* OK [UNSEEN").is_empty());
    assert!(rev2.has("* LIST () \".\" INBOX"), "{rev2:?}");
    assert!(other.cmd("CREATE Box").await.ok());
    let again = other.cmd("EXAMINE Box").await;
    assert!(
        again.has("* OK [CLOSED] Previous mailbox is now closed"),
        "{again:?}"
    );
    assert!(again.has("* 0 EXISTS"), "{again:?}");
    let missing = other.cmd("SELECT Nowhere").await;
    assert_eq!(missing.status, "NO [NONEXISTENT] Mailbox does not exist");
    let fetch = other.cmd("FETCH 1 FLAGS").await;
    assert!(fetch.status.starts_with("BAD"), "{fetch:?}");
}

#[tokio::test]
async fn quota_comes_from_the_directory() {
    let h = harness("").await;
    h.user("pat", 10_240).await;
    h.user("sam", 0).await;
    let mut c = h.login("pat").await;
    let root = c.cmd("GETQUOTAROOT INBOX").await;
    assert_eq!(
        root.untagged,
        ["* QUOTAROOT INBOX \"\"", "* QUOTA \"\" (STORAGE 0 10)"]
    );
    assert!(c.append("INBOX", &[b'x'; 3000]).await.ok());
    let quota = c.cmd("GETQUOTA \"\"").await;
    // 3000 bytes are 2 KiB rounded down, as Dovecot reports them.
    assert_eq!(quota.untagged, ["* QUOTA \"\" (STORAGE 2 10)"]);
    let over = c.append("INBOX", &[b'y'; 9000]).await;
    assert_eq!(over.status, "NO [OVERQUOTA] Quota exceeded");
    let set = c.cmd("SETQUOTA \"\" (STORAGE 100)").await;
    assert!(
        set.status.starts_with("BAD") || set.status.starts_with("NO"),
        "{set:?}"
    );
    let mut s = h.login("sam").await;
    let root = s.cmd("GETQUOTAROOT INBOX").await;
    assert_eq!(root.untagged, ["* QUOTAROOT INBOX"]);
}
