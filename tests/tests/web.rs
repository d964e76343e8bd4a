//! The web app served by the same server: SSR pages, the wasm bundle, and the split
//! between HTML pages and the JSON API.

use tests::TestServer;

#[tokio::test]
async fn pages_bundle_and_api_share_one_server() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.base)).send();

    let home = get("/").await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(
        home.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = home.text().await.unwrap();
    assert!(html.contains("Switchboard"), "{html}");
    assert!(
        html.contains("/pkg/switchboard"),
        "the page loads the hydration bundle: {html}"
    );
    assert!(html.contains("/api/v1/openapi.json"));

    let wasm = get("/pkg/switchboard_bg.wasm").await.unwrap();
    assert_eq!(
        wasm.status(),
        200,
        "build the bundle first: scripts/build-web.sh"
    );
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(&wasm.bytes().await.unwrap()[..4], b"\0asm");
    assert_eq!(get("/pkg/switchboard.js").await.unwrap().status(), 200);
    assert_eq!(get("/pkg/switchboard.css").await.unwrap().status(), 200);

    let missing_page = get("/no/such/page").await.unwrap();
    assert_eq!(missing_page.status(), 404);
    assert!(
        missing_page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    let missing_api = get("/api/v1/no-such-endpoint").await.unwrap();
    assert_eq!(missing_api.status(), 404);
    let body: serde_json::Value = missing_api.json().await.unwrap();
    assert_eq!(body["error"]["code"], 404);
    let other_api = get("/api/v2/anything").await.unwrap();
    assert_eq!(other_api.status(), 404);
    assert!(
        other_api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}
