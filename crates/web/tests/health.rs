use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use techoms_app::App;
use techoms_domain::SystemClock;
use techoms_testkit::TestDb;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_readiness_on_both_backends() {
    for t in TestDb::all().await {
        let app = techoms_web::router(App::new(
            t.db.clone(),
            Arc::new(SystemClock),
            techoms_app::secrets::SecretKey::generate(),
        ));
        for path in ["/healthz", "/readyz"] {
            let res = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "{path} on {:?}",
                t.db.backend()
            );
        }
        // A closed pool is an unreachable database: not ready, still alive.
        t.db.close().await;
        let res = app
            .clone()
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let res = app
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        t.finish().await;
    }
}
