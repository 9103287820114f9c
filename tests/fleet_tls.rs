//! The fleet over TLS, against a real PostgreSQL of this test's own with `ssl=on`, a CA and a
//! server certificate made here (for `localhost` only), and a pg_hba.conf that takes host
//! connections only over TLS (and one role only with a client certificate). Attacks first:
//! another CA's certificate, a name the certificate does not hold, a client key others can
//! read, a plain-text connection to a server that wants TLS; then the controls that connect.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use support::Env;
use support::pg::{self, Dedicated};

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (params, key, cert.pem())
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A CA, a server certificate for `localhost` signed by it, a client certificate for role
/// `certhost`, and another CA that signed nothing here.
fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let (ca_params, ca_key, ca_pem) = ca("gate test CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(DnType::CommonName, "certhost");
    let client = client.signed_by(&client_key, &issuer).unwrap();
    let (_, _, other_pem) = ca("another CA");
    write(&dir.path().join("root.crt"), &ca_pem, 0o644);
    write(&dir.path().join("other.crt"), &other_pem, 0o644);
    write(&dir.path().join("server.crt"), &server.pem(), 0o644);
    write(
        &dir.path().join("server.key"),
        &server_key.serialize_pem(),
        0o600,
    );
    write(&dir.path().join("client.crt"), &client.pem(), 0o644);
    write(
        &dir.path().join("client.key"),
        &client_key.serialize_pem(),
        0o600,
    );
    Pki { dir }
}

/// A server of this test's own, with TLS on.
fn tls_server(test: &str, pki: &Pki) -> Option<Dedicated> {
    let files = pki.dir.path().to_path_buf();
    pg::dedicated(
        test,
        "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key -c ssl_ca_file=root.crt",
        &move |data, as_nobody| {
            for f in ["server.crt", "server.key", "root.crt"] {
                std::fs::copy(files.join(f), data.join(f)).map_err(|e| e.to_string())?;
            }
            std::fs::set_permissions(
                data.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .map_err(|e| e.to_string())?;
            // Host connections only over TLS, but the harness's own (role gate, no TLS);
            // certhost only with its certificate.
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\n\
                 hostssl all certhost 127.0.0.1/32 cert\n\
                 hostnossl all gate 127.0.0.1/32 trust\n\
                 hostssl all all 127.0.0.1/32 trust\n",
            )
            .map_err(|e| e.to_string())?;
            if as_nobody {
                let nobody = nix::unistd::User::from_name("nobody")
                    .ok()
                    .flatten()
                    .ok_or("no user nobody")?;
                for f in ["server.crt", "server.key", "root.crt", "pg_hba.conf"] {
                    nix::unistd::chown(&data.join(f), Some(nobody.uid), Some(nobody.gid))
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        },
    )
}

fn status(url: &str) -> support::Output {
    Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", url)
        .run()
}

#[test]
fn the_fleet_speaks_tls_to_a_real_server_and_refuses_what_it_cannot_trust() {
    let pki = pki();
    let Some(server) = tls_server(
        "the_fleet_speaks_tls_to_a_real_server_and_refuses_what_it_cannot_trust",
        &pki,
    ) else {
        return;
    };
    let db = server.pg.database();
    let root = pki.path("root.crt");
    let root = root.to_str().unwrap();
    let other = pki.path("other.crt");
    let other = other.to_str().unwrap();
    // The administrator sets the fleet up over verified TLS.
    let init = db.url_at(
        "gate",
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    Env::new()
        .gate()
        .args(["fleet", "init"])
        .env("GATE_FLEET", &init)
        .status(0)
        .run();
    let host = db.role("tlshost", "gate_host");

    // Attack: a server whose certificate another CA signed (as a man in the middle's would be).
    let out = status(&db.url_at(
        &host,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    ));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("invalid peer certificate"), "{said}");
    let out = status(&db.url_at(
        &host,
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={other}"),
    ));
    assert_ne!(out.code, 0, "{}", out.stdout);
    // Attack: the right CA, but a name the certificate does not hold (127.0.0.1).
    let out = status(&db.url_at(
        &host,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    ));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("not valid for name"), "{said}");
    // verify-full with no root certificate at all refuses before connecting.
    let out = status(&db.url_at(
        &host,
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
    ));
    assert_eq!(out.code, 78, "{}{}", out.stdout, out.stderr);
    // A plain-text connection to a server that takes hosts only over TLS: refused by it.
    let out = status(&db.url_at(&host, "localhost", "sslmode=disable"));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("no encryption"), "{said}");

    // Controls: verify-ca at the address (the chain holds, the name is not checked),
    // verify-full at the certificate's name, require (encrypted, not verified), prefer.
    for query in [
        format!("sslmode=verify-ca&sslrootcert={root}"),
        "sslmode=require".to_string(),
    ] {
        let out = status(&db.url_at(&host, "127.0.0.1", &query));
        assert_eq!(out.code, 0, "{query}: {}{}", out.stdout, out.stderr);
    }
    let out = status(&db.url_at(
        &host,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    ));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json_lines()[0]["role"], host.as_str());
    let out = status(&db.url_at(&host, "localhost", "sslmode=prefer"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // A run over TLS is shipped over TLS.
    let env = Env::with_policy("").var(
        "GATE_FLEET",
        db.url_at(
            &host,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={root}"),
        ),
    );
    env.gate().args(["--", "true"]).status(0).run();
    let shipped = env.gate().args(["fleet", "ship", "--json"]).status(0).run();
    assert!(
        shipped.json_lines()[0]["to"].as_i64().unwrap() > 0,
        "{}",
        shipped.stdout
    );
}

#[test]
fn a_client_certificate_logs_a_host_in_and_a_readable_key_is_refused() {
    let pki = pki();
    let Some(server) = tls_server(
        "a_client_certificate_logs_a_host_in_and_a_readable_key_is_refused",
        &pki,
    ) else {
        return;
    };
    let db = server.pg.database();
    let root = pki.path("root.crt");
    let root = root.to_str().unwrap();
    db.init();
    db.admin()
        .batch_execute("CREATE ROLE certhost LOGIN; GRANT gate_host TO certhost;")
        .unwrap();
    let url = db.url_at(
        "certhost",
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    // Without a certificate the server refuses the role.
    let none = Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", &url)
        .env("PGSSLCERT", "/nonexistent/client.crt")
        .env("PGSSLKEY", "/nonexistent/client.key")
        .run();
    assert_ne!(none.code, 0, "{}", none.stdout);
    // Attack: the key readable by others is refused before connecting, as libpq refuses it.
    let open_key = pki.path("client-open.key");
    std::fs::copy(pki.path("client.key"), &open_key).unwrap();
    std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", &url)
        .env("PGSSLCERT", pki.path("client.crt"))
        .env("PGSSLKEY", &open_key)
        .run();
    assert_ne!(loose.code, 0, "{}", loose.stdout);
    let said = format!("{}{}", loose.stdout, loose.stderr);
    assert!(said.contains("client-open.key"), "{said}");
    // Control: the certificate and its 0600 key log the host in.
    let ok = Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", &url)
        .env("PGSSLCERT", pki.path("client.crt"))
        .env("PGSSLKEY", pki.path("client.key"))
        .run();
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert_eq!(ok.json_lines()[0]["role"], "certhost");
}
