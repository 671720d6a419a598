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
    /// Starts `moto_server` (installed by `scripts/install-test-deps.sh`) on a port
    /// the system picks, and waits until it accepts connections. (A port picked
    /// here and then bound by moto could be taken meanwhile by another test's
    /// moto: the loser exits, and its test talks to the winner until that one
    /// stops.)
    pub fn start() -> Moto {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("moto_server is installed by scripts/install-test-deps.sh");
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let server = Running(child);
        // Werkzeug says « * Running on http://127.0.0.1:PORT » once it listens.
        let endpoint = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split_once("Running on ")
                    .map(|(_, url)| url.trim().to_owned())
            })
            .expect("moto_server stopped before it listened");
        // Its request log goes on: drain it, or moto blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let port = endpoint
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("moto_server's address has a port");
        wait_for_port(port);
        Moto {
            _server: server,
            endpoint,
        }
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
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    /// An S3 client for this server (path-style addressing, as `publish` uses
    /// with a custom endpoint).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        aws_sdk_cloudfront::Client::new(&self.sdk_config())
    }

    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        use aws_sdk_dynamodb::config::{
            BehaviorVersion, Credentials, Region, SharedCredentialsProvider,
        };
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                ACCESS_KEY, ACCESS_KEY, None, None, "moto",
            )))
            .build()
    }

    /// Creates a bucket.
    pub async fn bucket(&self, name: &str) {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        let location = CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(REGION))
            .build();
        self.s3()
            .create_bucket()
            .bucket(name)
            .create_bucket_configuration(location)
            .send()
            .await
            .unwrap();
    }

    /// Creates a CloudFront distribution in front of `bucket`; returns its id.
    pub async fn distribution(&self, bucket: &str) -> String {
        use aws_sdk_cloudfront::types::{
            DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
            ViewerProtocolPolicy,
        };
        let origin = Origin::builder()
            .id("site")
            .domain_name(format!("{bucket}.s3.{REGION}.amazonaws.com"))
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .unwrap();
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id("site")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
            .build()
            .unwrap();
        let config = DistributionConfig::builder()
            .caller_reference(bucket)
            .comment("test")
            .enabled(true)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(behavior)
            .build()
            .unwrap();
        let created = self
            .cloudfront()
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .unwrap();
        created.distribution.unwrap().id
    }
}
