//! Test support shared by the crates' tests: child servers on 127.0.0.1 stopped
//! when the test drops them, among them moto (DynamoDB, its streams, S3, CloudFront).

// Test support: a failure to start a server is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Credentials and region moto accepts; nothing here reaches AWS.
pub const REGION: &str = "eu-west-3";
const ACCESS_KEY: &str = "testing";

/// A child process killed when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on, for a server to bind.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to a minute) until a server accepts connections on `port`.
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A moto server of this test's own.
pub struct Moto {
    _server: Running,
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` (installed by `scripts/install-test-deps.sh`) and waits
    /// until it accepts connections.
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is installed by scripts/install-test-deps.sh");
        let moto = Moto {
            _server: Running(child),
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        wait_for_port(port);
        moto
    }

    /// The environment that points the AWS SDK (and so `entraide`) at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", ACCESS_KEY.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// A DynamoDB client for this server.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(ACCESS_KEY, ACCESS_KEY, None, None, "moto"))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}
