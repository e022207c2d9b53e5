//! SIGTERM drains: a request in flight when the signal arrives is answered in full, then
//! the server stops taking connections and exits cleanly. Runs the `attain` binary over
//! an embedded SQLite file of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_request_in_flight_at_sigterm_is_answered_before_the_server_exits() {
    let folder = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_attain"))
        .env_clear()
        .env("ATTAIN_PORT", "0")
        .env("ATTAIN_DEMO", "false")
        .env("ATTAIN_DATA_DIR", folder.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Attain listens on http://") {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    let body = r#"{"query":"{ kpiCatalog { key } }"}"#;
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    // The server has read the request's head and waits for its body: the request is in
    // flight.
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert!(
        String::from_utf8_lossy(&interim).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    let signal = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    stream.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.contains("200 OK"), "{response}");
    assert!(response.contains("\"key\":\"REVENUE\""), "{response}");
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(&address).is_err());
}
