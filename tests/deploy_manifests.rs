//! Every deployment manifest parses, every authlens config embedded in or referenced by one
//! passes `authlens check-config`, and the pieces agree with each other (ports, paths, probes,
//! provisioning). Docker is not run here: the Dockerfile is checked as text.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// Every YAML document of every manifest under deploy/ plus docker-compose.yml.
fn manifests() -> Vec<(PathBuf, Vec<Value>)> {
    let mut files = vec![Path::new(ROOT).join("docker-compose.yml")];
    yaml_files(&Path::new(ROOT).join("deploy"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let docs: Vec<Value> = serde_saphyr::from_multiple(&read(&f))
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(!docs.is_empty(), "{}: empty", f.display());
            (f, docs)
        })
        .collect()
}

fn admin_port(config: &str) -> String {
    let v: Value = serde_saphyr::from_str(config).unwrap();
    let admin = v["admin_listen"].as_str().expect("admin_listen set");
    admin.rsplit(':').next().unwrap().to_string()
}

#[test]
fn every_manifest_parses_and_every_embedded_config_is_valid() {
    let all = manifests();
    assert!(all.len() >= 10, "{} manifests", all.len());
    let mut configs = 0;
    for (file, docs) in &all {
        for doc in docs {
            // Kubernetes ConfigMaps carrying an authlens config.
            if doc["kind"] == "ConfigMap" {
                for (key, value) in doc["data"].as_object().into_iter().flatten() {
                    if key.starts_with("authlens") {
                        support::authlens::assert_config_valid(key, value.as_str().unwrap());
                        configs += 1;
                    }
                }
            }
        }
        // The compose stack's config files, mounted into the authlens service.
        if file.ends_with("docker-compose.yml") {
            let authlens = &docs[0]["services"]["authlens"];
            for volume in authlens["volumes"].as_array().unwrap() {
                let source = volume.as_str().unwrap().split(':').next().unwrap();
                let yaml = read(&Path::new(ROOT).join(source));
                support::authlens::assert_config_valid("compose-authlens.yaml", &yaml);
                assert_eq!(
                    admin_port(&yaml),
                    "9901",
                    "the image's HEALTHCHECK probes 9901"
                );
                configs += 1;
            }
        }
    }
    assert!(configs >= 2, "{configs} embedded configs");
}

#[test]
fn kubernetes_runs_authlens_as_a_native_sidecar_with_probes_and_a_scrape_config() {
    let path = Path::new(ROOT).join("deploy/kubernetes/sidecar.yaml");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&read(&path)).unwrap();
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .map(|d| d["data"]["authlens.yaml"].as_str().unwrap().to_string())
        .unwrap();
    let port = admin_port(&config);
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let pod = &deployment["spec"]["template"];
    let sidecar = pod["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "authlens")
        .expect("authlens is an init container");
    assert_eq!(sidecar["restartPolicy"], "Always", "native sidecar");
    let admin = sidecar["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "admin")
        .unwrap();
    assert_eq!(admin["containerPort"].to_string(), port);
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ] {
        assert_eq!(sidecar[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(sidecar[probe]["httpGet"]["port"], "admin", "{probe}");
    }
    assert_eq!(sidecar["securityContext"]["runAsNonRoot"], true);
    let annotations = &pod["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"].as_str().unwrap(), port);
    assert!(
        pod["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "authlens"),
        "authlens must not also be a regular container"
    );

    // The scrape job keeps the authlens admin port and sets job / namespace / pod.
    let scrape: Value = serde_saphyr::from_str(&read(
        &Path::new(ROOT).join("deploy/kubernetes/prometheus-scrape.yaml"),
    ))
    .unwrap();
    let relabel = scrape["scrape_configs"][0]["relabel_configs"].to_string();
    for needle in [
        "authlens;admin",
        "\"target_label\":\"job\"",
        "\"target_label\":\"namespace\"",
        "\"target_label\":\"pod\"",
    ] {
        assert!(relabel.contains(needle), "{needle} missing in {relabel}");
    }
}

#[test]
fn compose_publishes_on_loopback_and_provisions_grafana_and_alertmanager() {
    let compose: Value =
        serde_saphyr::from_str(&read(&Path::new(ROOT).join("docker-compose.yml"))).unwrap();
    let services = compose["services"].as_object().unwrap();
    for name in ["api", "authlens", "prometheus", "alertmanager", "grafana"] {
        assert!(services.contains_key(name), "no {name} service");
    }
    for (name, service) in services {
        for port in service["ports"].as_array().into_iter().flatten() {
            assert!(
                port.as_str().unwrap().starts_with("127.0.0.1:"),
                "{name} publishes {port} beyond loopback"
            );
        }
        // Every mounted file or directory exists in the repository.
        for volume in service["volumes"].as_array().into_iter().flatten() {
            let source = volume.as_str().unwrap().split(':').next().unwrap();
            assert!(
                Path::new(ROOT).join(source).exists(),
                "{name} mounts missing {source}"
            );
        }
    }
    let am = services["alertmanager"]["command"].to_string();
    assert!(
        am.contains("--cluster.listen-address=\""),
        "no gossip: {am}"
    );

    // Grafana's dashboard provider reads the directory compose mounts the dashboards at.
    let provider: Value = serde_saphyr::from_str(&read(
        &Path::new(ROOT).join("deploy/grafana/provisioning/dashboards/authlens.yaml"),
    ))
    .unwrap();
    let path = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let mounts = services["grafana"]["volumes"].to_string();
    assert!(mounts.contains(&format!("./dashboards:{path}")), "{mounts}");

    // Prometheus loads both rule files from the mounted rules directory.
    let prom: Value = serde_saphyr::from_str(&read(
        &Path::new(ROOT).join("deploy/compose/prometheus.yml"),
    ))
    .unwrap();
    let rules = prom["rule_files"].to_string();
    assert!(rules.contains("recording_rules.yaml") && rules.contains("alerts.yaml"));
    assert_eq!(
        prom["scrape_configs"][0]["static_configs"][0]["targets"][0],
        "authlens:9901"
    );
}

#[test]
fn dockerfile_is_multi_stage_non_root_with_a_healthcheck_that_needs_no_shell() {
    let text = read(&Path::new(ROOT).join("Dockerfile"));
    let froms = text.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(froms >= 2, "multi-stage");
    let runtime = text.rsplit("\nFROM ").next().unwrap();
    assert!(runtime.contains("nonroot") || runtime.contains("USER 65532"));
    assert!(runtime.contains("\nUSER "), "runtime image sets USER");
    let health = runtime
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .take(2)
        .collect::<String>();
    assert!(health.contains("/healthz"), "{health}");
    assert!(health.contains("CMD [\""), "exec form, no shell: {health}");
    assert!(health.contains("127.0.0.1:9901"), "{health}");
    assert!(
        read(&Path::new(ROOT).join(".dockerignore")).contains("target"),
        "the build context skips target/"
    );
}

#[test]
fn dashboards_are_templated_and_pinned() {
    for name in ["authlens-overview.json", "authlens-triage.json"] {
        let text = read(&Path::new(ROOT).join("dashboards").join(name));
        let d: Value = serde_json::from_str(&text).unwrap();
        assert!(d["schemaVersion"].as_u64().unwrap() >= 36, "{name}");
        assert!(d["uid"].as_str().unwrap().starts_with("authlens-"));
        let vars: Vec<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        for v in ["datasource", "job", "instance", "route"] {
            assert!(vars.contains(&v), "{name}: no ${v}");
        }
        let panels = d["panels"].as_array().unwrap();
        for panel in panels.iter().filter(|p| p["type"] != "row") {
            let title = panel["title"].as_str().unwrap();
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{name}: {title}"
            );
            assert!(
                panel["description"].as_str().is_some_and(|s| s.len() > 20),
                "{name}: {title} has no description"
            );
            for target in panel["targets"].as_array().unwrap() {
                assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
                let expr = target["expr"].as_str().unwrap();
                // $route filters only where the metric has a route label; elsewhere the
                // description says so.
                if !expr.contains("route") {
                    assert!(
                        panel["description"]
                            .as_str()
                            .unwrap()
                            .contains("no route label")
                            || !expr.contains("authlens_"),
                        "{name}: {title} ignores $route without saying so"
                    );
                }
                // The config-loads counter starts at 1: never increase() it.
                assert!(!expr.contains("increase(authlens_config_reloads_total"));
                // One pod's dead API must not hide behind another's live one.
                assert!(!expr.contains("max(authlens_upstream_up"), "{title}");
            }
        }
        // Panels that need verified tokens say so when empty.
        for panel in panels {
            let expr = panel["targets"].to_string();
            if expr.contains("token_remaining_lifetime") || expr.contains("clock_skew_seconds") {
                let no_value = panel["fieldConfig"]["defaults"]["noValue"].as_str();
                assert!(
                    no_value.is_some_and(|s| s.contains("token")),
                    "{name}: {} has no noValue text",
                    panel["title"]
                );
            }
        }
        // No hard-coded data source uid anywhere.
        assert!(!text.contains("\"uid\": \"P"), "{name}");
    }
}
