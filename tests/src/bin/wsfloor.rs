//! The floor of the live channel's stack: actix-web and actix-ws with nothing of ecabinet, so
//! that the memory the load tool measures per idle session can be split into what the stack
//! itself holds per connection and what ecabinet adds (docs/benchmarks.md, "Live channel").
//!
//! It speaks the protocol of the Node.js baseline (benches/ws-baseline.mjs): every
//! `POST /broadcast` sends one small event to every socket, with the naive fan-out of the
//! actix-ws examples (one `Session::text` per socket, the event's JSON cloned for each, each
//! awaited in turn: a socket that stops reading would hold up the others, which the load tool's
//! sockets never do). With
//! `--greeting-bytes N`, each socket is first sent about N bytes of frames of 300 bytes, the way
//! a joining tablet is sent the meeting's history before it idles.
//!
//! `cargo run --release -p ecabinet-tests --bin wsfloor -- --bind 127.0.0.1:18092`

#![allow(clippy::print_stdout)]

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use actix_ws::{Message, Session};
use clap::Parser;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:18092")]
    bind: String,
    /// Bytes sent to each socket when it opens, in frames of 300 bytes.
    #[arg(long, default_value_t = 0)]
    greeting_bytes: usize,
}

#[derive(Default)]
struct Sockets {
    next: u64,
    open: Vec<(u64, Session)>,
    seq: u64,
}

struct Floor {
    sockets: Mutex<Sockets>,
    greeting: Vec<String>,
}

impl Floor {
    fn sockets(&self) -> std::sync::MutexGuard<'_, Sockets> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn live(
    floor: web::Data<Floor>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
    let id = {
        let mut s = floor.sockets();
        s.next += 1;
        let id = s.next;
        s.open.push((id, session.clone()));
        id
    };
    actix_web::rt::spawn(async move {
        for frame in &floor.greeting {
            if session.text(frame.clone()).await.is_err() {
                break;
            }
        }
        while let Some(Ok(message)) = stream.recv().await {
            let answered = match message {
                Message::Ping(bytes) => session.pong(&bytes).await.is_ok(),
                Message::Close(_) => false,
                _ => true,
            };
            if !answered {
                break;
            }
        }
        floor.sockets().open.retain(|(other, _)| *other != id);
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// The event's `at` in microseconds, like ecabinet's (the load tool measures from it).
fn now_rfc3339() -> String {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(0))
        .unwrap_or(0);
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

async fn broadcast(floor: web::Data<Floor>) -> HttpResponse {
    let (seq, sessions) = {
        let mut s = floor.sockets();
        s.seq += 1;
        let sessions: Vec<Session> = s.open.iter().map(|(_, session)| session.clone()).collect();
        (s.seq, sessions)
    };
    let event = json!({"seq": seq, "type": "meeting.updated", "at": now_rfc3339(),
        "data": {"location": format!("Phòng {seq}")}})
    .to_string();
    for mut session in sessions {
        let _ = session.text(event.clone()).await;
    }
    HttpResponse::Ok().json(json!({"seq": seq}))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    // Frames without a `seq`: the load tool does not count them as events.
    let frame = json!({"type": "history", "data": "x".repeat(260)}).to_string();
    let greeting = vec![frame; args.greeting_bytes.div_ceil(300)];
    let floor = web::Data::new(Floor {
        sockets: Mutex::new(Sockets::default()),
        greeting,
    });
    println!("wsfloor on {}", args.bind);
    HttpServer::new(move || {
        App::new()
            .app_data(floor.clone())
            .route("/", web::get().to(live))
            .route("/broadcast", web::post().to(broadcast))
    })
    .tcp_nodelay(true)
    .bind(&args.bind)?
    .run()
    .await
}
