//! The real server on 127.0.0.1: a request in flight when shutdown is signalled
//! is still answered, and then `serve` returns.

use super::support::on_both_backends;
use axum::http::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// Reads until the end of a response head.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = timeout(LIMIT, stream.read(&mut byte))
            .await
            .expect("the server answers")
            .expect("read");
        assert_eq!(
            n,
            1,
            "connection closed after {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    String::from_utf8(buf).expect("ASCII head")
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    on_both_backends(|app| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(wangge_server::serve(listener, app.state(), async move {
            let _ = stopped.await;
        }));

        // Start a request and hold back its body. With `Expect: 100-continue` the
        // server says when its handler is waiting for the body: the request is
        // then certainly in flight.
        let body = r#"{"kind":"zone","name":"菏泽开发区","code":"371799"}"#;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/units HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\nX-Request-Id: in-flight\r\n\
             Authorization: Bearer {}\r\n\r\n",
            body.len(),
            app.token.clone().unwrap_or_default()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let interim = read_head(&mut stream).await;
        assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");

        stop.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !server.is_finished(),
            "serve returned with a request in flight"
        );

        stream.write_all(body.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        timeout(LIMIT, stream.read_to_end(&mut answer))
            .await
            .expect("the answer arrives, and the connection is closed after it")
            .unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("x-request-id: in-flight"),
            "{answer}"
        );
        assert!(answer.contains(r#""code":"371799""#), "{answer}");

        timeout(LIMIT, server)
            .await
            .expect("serve returns once the request is answered")
            .expect("the server task did not panic")
            .expect("serve ends without error");
        // The listener is closed, and the write was committed.
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
        let zone = app.get("/api/v1/units/371799").await.expect(StatusCode::OK);
        assert_eq!(zone["name"], "菏泽开发区");
    });
}

/// A client that starts a request and never finishes its headers is
/// disconnected after the header-read timeout, while the server goes on
/// serving everyone else.
#[test]
fn a_connection_with_half_sent_headers_is_closed_after_the_header_timeout() {
    on_both_backends(|app| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let timeouts = wangge_server::listen::Timeouts {
            header_read: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(10),
        };
        let state = app.state().with_timeouts(timeouts);
        let server = tokio::spawn(wangge_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));

        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut rest = Vec::new();
        timeout(Duration::from_secs(6), slow.read_to_end(&mut rest))
            .await
            .expect("the server closes a connection whose headers never end")
            .ok();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(800),
            "closed after {waited:?}, before the timeout"
        );
        assert!(
            !String::from_utf8_lossy(&rest).contains("200 OK"),
            "a half-sent request was answered: {rest:?}"
        );

        // Everyone else is still served.
        let mut quick = TcpStream::connect(addr).await.unwrap();
        quick
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        timeout(LIMIT, quick.read_to_end(&mut answer))
            .await
            .expect("answered")
            .unwrap();
        assert!(
            String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        assert!(!server.is_finished());
        stop.send(()).unwrap();
        timeout(LIMIT, server)
            .await
            .expect("serve returns")
            .unwrap()
            .unwrap();
    });
}
