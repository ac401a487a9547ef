//! `techoms products import|export` with the real binary, on SQLite and PostgreSQL: the
//! report printed line by line, exit 1 when the file is refused, export to stdout or a file.

use std::path::Path;
use std::process::{Command, Output};

fn techoms(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_techoms"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TECHOMS_") {
            c.env_remove(k);
        }
    }
    c.arg("--data-dir")
        .arg(data_dir)
        .arg("--log-level")
        .arg("warn");
    if let Some(url) = database_url {
        c.env("TECHOMS_DATABASE_URL", url);
    }
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn flow(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        techoms(dir.path(), database_url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "admin",
        "create-account",
        "--organization",
        "Acme",
        "--account",
        "Acme Outdoor",
        "--email",
        "ann@acme.test",
        "--password",
        "a long password",
        "--json",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "product_handle,title,sku,price\nparka,Parka,PK-1,10\nparka,Parka,pk-1 ,11\nsock,Sock,SO-1,2\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "product_handle,title,sku,price\nhat,Hat,HA-1,1\nbelt,Belt,BE-1,ten\n",
    )
    .unwrap();
    let good = good.to_str().unwrap();
    let bad = bad.to_str().unwrap();

    // A dry run prints the report and writes nothing.
    let out = run(&[
        "products",
        "import",
        good,
        "--account",
        "acme-outdoor",
        "--dry-run",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("line 3, sku: warning: SKU \"pk-1\" repeats SKU \"PK-1\" of line 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("dry run: the file would be imported"),
        "{stdout}"
    );

    // A refused file: every problem on its own line, one error line, exit 1.
    let out = run(&["products", "import", bad, "--account", "ACME-OUTDOOR"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("line 3, price: error: \"ten\" is not a decimal number"),
        "{stdout}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("refused: 1 error; nothing was imported"),
        "{stderr}"
    );

    // The good file imports; the export shows it, to stdout and to a file.
    let out = run(&["products", "import", good, "--account", "ACME-OUTDOOR"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("imported: products 2 created"), "{stdout}");
    let out = run(&["products", "export", "--account", "ACME-OUTDOOR"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("product_handle,title,"), "{stdout}");
    assert!(stdout.contains("PK-1") && stdout.contains("SO-1") && !stdout.contains("HA-1"));
    let file = dir.path().join("out.csv");
    let out = run(&[
        "products",
        "export",
        "--account",
        "ACME-OUTDOOR",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    // With skip_invalid the good product of the bad file goes in.
    let out = run(&[
        "products",
        "import",
        bad,
        "--account",
        "ACME-OUTDOOR",
        "--skip-invalid",
    ]);
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("products 1 created, 0 updated, 0 unchanged, 1 skipped"),
        "{stdout}"
    );

    // An unknown account or file: one error line.
    let out = run(&["products", "export", "--account", "NOPE"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error: account: no account has the code NOPE"),
        "{stderr}"
    );
    let out = run(&[
        "products",
        "import",
        "/nonexistent/x.csv",
        "--account",
        "ACME-OUTDOOR",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error: cannot open /nonexistent/x.csv"),
        "{stderr}"
    );
}

#[test]
fn import_and_export_on_sqlite() {
    flow(None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_export_on_postgres() {
    let Some(t) = techoms_testkit::TestDb::postgres().await else {
        return;
    };
    let url = t.url.clone();
    tokio::task::spawn_blocking(move || flow(Some(&url)))
        .await
        .unwrap();
    t.finish().await;
}
