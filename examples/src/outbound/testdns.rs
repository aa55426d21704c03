//! A small authoritative DNS responder for tests, on 127.0.0.1 over UDP: it answers MX,
//! A and AAAA from a fixed zone, NODATA for other types of a known name, NXDOMAIN for
//! unknown names, and SERVFAIL for names told to fail. Messages are parsed and built
//! with hickory-proto (re-exported by hickory-resolver), so no DNS server crate is
//! needed for a few dozen lines of lookup logic.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// The records the test server knows.
#[derive(Debug, Default, Clone)]
pub(super) struct Zone {
    records: HashMap<(String, RecordType), Vec<RData>>,
    servfail: HashSet<String>,
}

impl Zone {
    /// An empty zone: every name is NXDOMAIN.
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// An MX record `domain -> host` with `preference`; `host` "." makes a null MX.
    pub(super) fn mx(mut self, domain: &str, preference: u16, host: &str) -> Self {
        let exchange = Name::from_ascii(host).expect("valid test host name");
        self.add(
            domain,
            RecordType::MX,
            RData::MX(MX::new(preference, exchange)),
        );
        self
    }

    /// An A record.
    pub(super) fn a(mut self, host: &str, ip: Ipv4Addr) -> Self {
        self.add(host, RecordType::A, RData::A(A(ip)));
        self
    }

    /// An AAAA record.
    pub(super) fn aaaa(mut self, host: &str, ip: Ipv6Addr) -> Self {
        self.add(host, RecordType::AAAA, RData::AAAA(AAAA(ip)));
        self
    }

    /// Every query for `name` gets SERVFAIL (a temporary DNS failure).
    pub(super) fn servfail(mut self, name: &str) -> Self {
        self.servfail.insert(key(name));
        self
    }

    fn add(&mut self, name: &str, kind: RecordType, data: RData) {
        self.records
            .entry((key(name), kind))
            .or_default()
            .push(data);
    }

    fn knows(&self, name: &str) -> bool {
        self.records.keys().any(|(n, _)| n == name)
    }

    /// The response to one query message, or `None` for garbage.
    fn answer(&self, request: &[u8]) -> Option<Vec<u8>> {
        let request = Message::from_vec(request).ok()?;
        if request.metadata.message_type != MessageType::Query {
            return None;
        }
        let query = request.queries.first()?.clone();
        let name = key(&query.name.to_ascii());
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.authoritative = true;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.add_query(query.clone());
        let records = self.records.get(&(name.clone(), query.query_type));
        response.metadata.response_code = if self.servfail.contains(&name) {
            ResponseCode::ServFail
        } else if let Some(records) = records {
            for data in records {
                response.add_answer(Record::from_rdata(query.name.clone(), 60, data.clone()));
            }
            ResponseCode::NoError
        } else if self.knows(&name) {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        };
        response.to_vec().ok()
    }
}

/// Lower case, without the trailing dot.
fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A running test DNS server; stops when dropped.
#[derive(Debug)]
pub(super) struct TestDns {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TestDns {
    /// Serves `zone` on a free UDP port of 127.0.0.1.
    pub(super) async fn start(zone: Zone) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind test DNS");
        let addr = socket.local_addr().expect("test DNS address");
        let task = tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                if let Some(reply) = zone.answer(&buf[..n]) {
                    let _ = socket.send_to(&reply, from).await;
                }
            }
        });
        Self { addr, task }
    }

    /// Where to send queries.
    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}
