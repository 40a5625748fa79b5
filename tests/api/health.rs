use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get_text("/healthz").await, (200, "ok".to_string()));
    assert_eq!(app.get_text("/readyz").await, (200, "ready".to_string()));
}

#[tokio::test]
async fn readyz_is_503_and_pages_say_so_when_the_database_is_unreachable() {
    let app = spawn_app().await;
    // Closing the shared pool makes every query fail as an unreachable database would.
    app.db.close_by_ref().await.unwrap();
    let (status, body) = app.get_text("/readyz").await;
    assert_eq!((status, body.as_str()), (503, "database unreachable"));
    assert_eq!(
        app.get_text("/healthz").await.0,
        200,
        "liveness does not depend on the database"
    );
    let response = app.get("/register").await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(response.text().await.unwrap().contains("try again in a minute"));
    let (status, json) = app.get_json("/api/v1/pledges").await;
    assert_eq!(status, 503);
    assert_eq!(json["error"]["status"], 503);
}

#[tokio::test]
async fn metrics_are_prometheus_text_by_route() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"),
        "{body}"
    );
    assert!(body.contains("http_request_duration_seconds_bucket"), "{body}");
}

#[tokio::test]
async fn responses_carry_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/register").await;
    let headers = response.headers();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(
        headers["x-request-id"].to_str().unwrap().len(),
        36,
        "a UUID request id"
    );
}

#[tokio::test]
async fn unknown_paths_are_404_as_a_page_or_as_json() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/nowhere").await;
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    let (status, json) = app.get_json("/api/v1/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(json["error"]["message"], "no API route /api/v1/nowhere");
}

#[tokio::test]
async fn static_files_are_served_with_their_types() {
    let app = spawn_app().await;
    for (path, kind, marker) in [
        ("/static/app.css", "text/css", ".field-row"),
        ("/static/form.js", "text/javascript", "x-csrf-token"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(response.text().await.unwrap().contains(marker), "{path}");
    }
    assert_eq!(app.get("/static/nothing.js").await.status().as_u16(), 404);
}

/// Pages link their CSS by content hash; that address may be kept for a year, any other
/// (an old page's, or none) only for minutes.
#[tokio::test]
async fn static_files_are_linked_by_content_hash_and_cached_for_good() {
    let app = spawn_app().await;
    let (_, page) = app.get_text("/register").await;
    let start = page
        .find("/static/app.css?v=")
        .expect("the page links its CSS by version");
    let href = &page[start..page[start..].find('"').unwrap() + start];
    let cache =
        |response: reqwest::Response| response.headers()["cache-control"].to_str().unwrap().to_string();
    assert_eq!(cache(app.get(href).await), "public, max-age=31536000, immutable");
    assert_eq!(cache(app.get("/static/app.css").await), "public, max-age=300");
    assert_eq!(
        cache(app.get("/static/app.css?v=0123456789ab").await),
        "public, max-age=300"
    );
}
