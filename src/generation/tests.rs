use super::*;
use crate::config::{Overrides, load_str};
use crate::policy::RouteId;

fn live(routes: &[&str]) -> Live {
    let mut yaml = String::from("upstream:\n  url: http://127.0.0.1:9\nroutes:\n");
    for r in routes {
        yaml.push_str(&format!("  - name: {r}\n    path_prefix: /{r}\n"));
    }
    load_str(&yaml, &Overrides::default()).expect("valid").live
}

fn generations() -> Generations {
    let metrics = Arc::new(Metrics::new().expect("metrics"));
    let durable = Durable {
        keys: KeyStore::new(Arc::new(crate::telemetry::events::KeySetEvents(
            metrics.clone(),
        ))),
        inspector: Inspector::new(metrics.clone(), Default::default()),
        metrics,
    };
    Generations::new(live(&["files", "admin"]), durable)
}

fn series(g: &Generations, route: &str) -> Option<String> {
    g.durable
        .metrics
        .render()
        .lines()
        .find(|l| {
            l.starts_with("authlens_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains("method=\"GET\"")
                && l.contains("status_class=\"2xx\"")
        })
        .map(str::to_string)
}

#[tokio::test]
async fn a_swap_keeps_counters_drops_gone_routes_and_spares_exchanges_under_way() {
    let g = generations();
    let first = g.current();
    assert_eq!(first.epoch, 1);
    let files = first.policy.routes.find(&http::Method::GET, "/files/x");
    let admin = first.policy.routes.find(&http::Method::GET, "/admin/x");
    first.metrics.request(files, 0, 1, 0.01);
    first.metrics.request(admin, 0, 1, 0.01);
    assert!(series(&g, "files").unwrap().ends_with(" 1"));
    assert!(series(&g, "admin").unwrap().ends_with(" 1"));

    let second = g.swap(live(&["files", "reports"]));
    assert_eq!(second.epoch, 2);
    assert!(Arc::ptr_eq(&second, &g.current()));
    // An exchange that started before the swap still sees its own generation.
    assert_eq!(first.policy.routes.label(RouteId(1)), "admin");
    assert_eq!(second.policy.routes.label(RouteId(1)), "reports");
    // Counters of routes that stay are not reset; gone routes leave no rows; new ones show
    // their request counts once they count.
    assert!(series(&g, "files").unwrap().ends_with(" 1"));
    assert_eq!(series(&g, "admin"), None);
    assert_eq!(series(&g, "reports"), None);
    let reports = second.policy.routes.find(&http::Method::GET, "/reports/x");
    second.metrics.request(reports, 0, 1, 0.01);
    assert!(series(&g, "reports").unwrap().ends_with(" 1"));
    // A new generation's token verdicts are not mixed with the old one's.
    assert_ne!(first.trust.epoch, second.trust.epoch);
}
