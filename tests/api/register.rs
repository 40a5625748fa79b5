use crate::helpers::{spawn_app, spawn_app_with_demo, temp_file};

#[tokio::test]
async fn the_demo_register_has_124_pledges_from_85_organizations() {
    let app = spawn_app_with_demo().await;
    let (status, body) = app.get_text("/register").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("124 pledges from 85 local and regional governments and networks."),
        "{body}"
    );
    let (_, json) = app.get_json("/api/v1/pledges?per_page=200").await;
    assert_eq!(json["total"], 124);
    assert_eq!(json["items"].as_array().unwrap().len(), 124);
    let (_, orgs) = app.get_text("/register/organizations").await;
    assert_eq!(orgs.matches("<tr>").count(), 85 + 1, "85 rows and the header");
}

#[tokio::test]
async fn the_demo_register_matches_the_reports_figures() {
    let app = spawn_app_with_demo().await;
    let total = |json: serde_json::Value| json["total"].as_u64().unwrap();
    // Per-priority commitments from the 2025 report: they add up to 452.
    let expected = [57, 23, 75, 90, 85, 42, 29, 51];
    for (i, want) in expected.iter().enumerate() {
        let (_, json) = app.get_json(&format!("/api/v1/pledges?priority={}", i + 1)).await;
        assert_eq!(total(json), *want, "priority {}", i + 1);
    }
    let (_, idp) = app.get_json("/api/v1/pledges?scope=IDP_ONLY").await;
    assert_eq!(total(idp), 5, "five IDP-only actions");
    let (_, mirror) = app.get_json("/api/v1/pledges?scope=mirror").await;
    assert_eq!(total(mirror), 82, "66% of 124 are Mirror");
    let (_, zurich) = app.get_json("/api/v1/pledges?q=zurich").await;
    assert_eq!(
        total(zurich.clone()),
        6 + 1,
        "Zürich's six pledges and Tyre's joint one"
    );
    let titles: Vec<&str> = zurich["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Enhancing the Cooperation of All State Levels")),
        "{titles:?}"
    );
}

#[tokio::test]
async fn filters_combine_and_search_ignores_accents_and_case() {
    let app = spawn_app_with_demo().await;
    let (_, json) = app.get_json("/api/v1/pledges?q=BOGOTA").await;
    assert_eq!(json["total"], 2);
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["organization"] == "Bogotá")
    );
    let (_, json) = app
        .get_json("/api/v1/pledges?region=north_america&scope=IDP_ONLY")
        .await;
    assert_eq!(json["total"], 0);
    let (_, europe) = app.get_json("/api/v1/pledges?region=europe&per_page=200").await;
    assert!(
        europe["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["region"] == "europe")
    );
    assert!(europe["total"].as_u64().unwrap() > 30);
    // LIKE wildcards typed by a user are literal characters.
    let (_, json) = app.get_json("/api/v1/pledges?q=%25").await;
    assert_eq!(json["total"], 0);
    let (_, page) = app
        .get_text("/register?region=latin_america&priority=4&lang=es")
        .await;
    assert!(page.contains("compromisos coinciden"), "{page}");
    assert!(page.contains("<option value=\"latin_america\" selected>"));
}

#[tokio::test]
async fn paging_is_stable_and_complete() {
    let app = spawn_app_with_demo().await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (_, json) = app
            .get_json(&format!("/api/v1/pledges?per_page=50&page={page}"))
            .await;
        assert_eq!(json["page"], page);
        for item in json["items"].as_array().unwrap() {
            seen.push(item["reference"].as_str().unwrap().to_string());
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 124);
    assert_eq!(sorted, seen, "pages are in reference order without overlap");
    let (_, page3) = app.get_text("/register?page=3").await;
    assert!(
        page3.contains("Page 3 of 3") && page3.contains("rel=\"prev\"") && !page3.contains("rel=\"next\"")
    );
}

#[tokio::test]
async fn bad_filters_get_a_precise_400() {
    let app = spawn_app_with_demo().await;
    for (query, message) in [
        ("priority=9", "priority `9` is not a priority number from 1 to 8"),
        (
            "scope=GCX",
            "`GCX` is not a compact scope (GCM, GCR, MIRROR or IDP_ONLY)",
        ),
        ("page=0", "page `0` must be a whole number"),
        (
            "per_page=1000",
            "per_page `1000` must be a whole number from 1 to 200",
        ),
        ("region=mars", "region `mars` is not one of"),
    ] {
        let (status, json) = app.get_json(&format!("/api/v1/pledges?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            json["error"]["message"].as_str().unwrap().starts_with(message),
            "{query}: {json}"
        );
        let (status, page) = app.get_text(&format!("/register?{query}&lang=fr")).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains("La demande n&#39;a pas pu être comprise"), "{page}");
    }
    let (status, _) = app.get_text(&format!("/register?q={}", "x".repeat(201))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_pledge_page_shows_its_classifications_and_404s_when_unknown() {
    let app = spawn_app_with_demo().await;
    let (status, page) = app.get_text("/register/pledges/CLA-2022-0003").await;
    assert_eq!(status, 200);
    assert!(page.contains("Participation of Migrants and Refugees in Arua City"));
    assert!(page.contains("2019 – 2021"));
    assert!(
        page.contains("23. International cooperation"),
        "GCM objective labels are shown"
    );
    assert!(page.contains("Mirror (GCM and GCR)"));
    assert!(!page.contains("@example.org"), "contacts are not public");
    let (status, json) = app.get_json("/api/v1/pledges/CLA-2022-0003").await;
    assert_eq!(status, 200);
    assert_eq!(json["gcm_objectives"], serde_json::json!(["7", "15", "16", "23"]));
    assert_eq!(app.get_text("/register/pledges/CLA-2099-0001").await.0, 404);
    assert_eq!(app.get_json("/api/v1/pledges/CLA-2099-0001").await.0, 404);
}

#[tokio::test]
async fn the_language_choice_is_remembered() {
    let app = spawn_app_with_demo().await;
    let response = app.get("/register?lang=pt").await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("lang=pt;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(response.text().await.unwrap().contains("<html lang=\"pt\">"));
    let page = app
        .client
        .get(format!("{}/register/organizations", app.address))
        .header("cookie", "lang=pt")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Organizações comprometidas"));
    let french = app
        .client
        .get(format!("{}/register", app.address))
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(french.contains("Registre des engagements"));
}

#[tokio::test]
async fn stored_markup_is_escaped_on_every_register_page() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let payload = "<script>alert(1)</script>";
    let csv = format!(
        "reference,title,description,organization,organization_kind,country,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,pledge_year\n\
         CLA-2024-0001,\"{payload} title\",\"{payload} text\",\"{payload} City\",lrg,\"{payload}\",europe,Europe/Paris,fr,GCM,migrants,1,23,2024\n"
    );
    let file = temp_file(&dir, "xss.csv", &csv);
    let out = app.cli(&["import", "register", file.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", crate::helpers::text(&out.stderr));
    for path in [
        "/register",
        "/register/organizations",
        "/register/pledges/CLA-2024-0001",
        "/register?q=%3Cscript",
    ] {
        let (status, page) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!page.contains(payload), "{path} shows raw markup");
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn switching_language_keeps_the_search_and_filters_and_counts_agree_in_number() {
    let app = spawn_app_with_demo().await;
    let (status, body) = app.get_text("/register?q=bogota&scope=MIRROR&page=1").await;
    assert_eq!(status, 200);
    // The language links lead to the same search, filters and page.
    assert!(
        body.contains("href=\"?q=bogota&#38;scope=MIRROR&#38;page=1&#38;lang=fr\""),
        "{body}"
    );
    // In French, with the search kept: the reference lists and counts are French.
    let (_, french) = app
        .get_text("/register?q=bogota&scope=MIRROR&page=1&lang=fr")
        .await;
    assert!(french.contains("2 engagements correspondent."), "{french}");
    assert!(
        french.contains("value=\"bogota\""),
        "the search box keeps the words"
    );
    assert!(
        french.contains("Amérique latine et Caraïbes") && !french.contains("Latin America and the Caribbean")
    );
    // One result: the singular, in each language's own rule.
    let (_, one) = app.get_text("/register?q=accra&lang=en").await;
    assert!(one.contains("1 pledge matches."), "{one}");
    let (_, none) = app.get_text("/register?q=nowhere-at-all&lang=fr").await;
    assert!(
        none.contains("0 engagement correspond."),
        "French counts 0 as singular"
    );
}
