//! Events across instances without a NOTIFY per commit (issue 19): an instance gathers what
//! it committed and tells the others in one NOTIFY per batch, so a burst of events costs a
//! few NOTIFYs; and an event whose NOTIFY never comes (its instance died after the commit)
//! still reaches the other instance's tablets, by the periodic catch-up, in order.

use std::time::Duration;

use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, TestApp, TestEnv};
use serde_json::Value;

use crate::support::{add_item, advance_to, cast};

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

async fn next_events(client: &mut LiveClient, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    while got.len() < n {
        let (e, _) = tokio::time::timeout(
            Duration::from_secs(10),
            client.until(|v| v.get("seq").is_some()),
        )
        .await
        .unwrap_or_else(|_| panic!("only {} of {n} events arrived", got.len()));
        got.push(e);
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_events_costs_a_few_notifies() {
    let env = TestEnv::new(Backend::Postgres);
    let mut settings = env.settings();
    settings.live.signal_batch_ms = 200;
    let one = TestApp::start(settings).unwrap();
    let two = TestApp::start(env.settings()).unwrap();
    let c = cast(&one).await;
    advance_to(&one, &c.admin.token, &c.meeting, "live").await;
    let mut tablet = LiveClient::join(&live_url(two.port, &c.meeting), &c.member.token, 0).await;
    let (_, before) = tablet.replay().await;
    let signals_before = one.state.metrics.pg_signals.get();
    let adds = (0..40).map(|i| {
        let (one, token, meeting) = (&one, &c.admin.token, &c.meeting);
        async move { add_item(one, token, meeting, &format!("Mục {i}"), None).await }
    });
    futures_util::future::join_all(adds).await;
    let got = next_events(&mut tablet, 40).await;
    assert_eq!(seqs(&got), (before + 1..=before + 40).collect::<Vec<_>>());
    let signals = one.state.metrics.pg_signals.get() - signals_before;
    assert!(
        (1..=10).contains(&signals),
        "{signals} NOTIFYs for 40 events"
    );
    two.stop().await;
    one.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_whose_notify_never_comes_still_arrive_in_order() {
    let env = TestEnv::new(Backend::Postgres);
    let mut silent = env.settings();
    // This instance never gets round to telling the others within the test.
    silent.live.signal_batch_ms = 600_000;
    let one = TestApp::start(silent).unwrap();
    let mut listening = env.settings();
    listening.live.catch_up_ms = 300;
    let two = TestApp::start(listening).unwrap();
    let c = cast(&one).await;
    advance_to(&one, &c.admin.token, &c.meeting, "live").await;
    let mut tablet = LiveClient::join(&live_url(two.port, &c.meeting), &c.member.token, 0).await;
    let (_, before) = tablet.replay().await;
    for i in 0..5 {
        add_item(&one, &c.admin.token, &c.meeting, &format!("Mục {i}"), None).await;
    }
    let got = next_events(&mut tablet, 5).await;
    assert_eq!(seqs(&got), (before + 1..=before + 5).collect::<Vec<_>>());
    assert_eq!(one.state.metrics.pg_signals.get(), 0, "the test's premise");
    two.stop().await;
    one.stop().await;
}
