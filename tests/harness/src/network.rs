//! What stands between a client and servers in the tests: a round-robin load balancer with
//! readiness checks, and a proxy that can cut or corrupt a connection.

use super::*;

/// A loopback load balancer in front of several servers, as a Kubernetes Service behind an
/// ingress is: each new connection goes to the next backend in turn among those whose
/// `/readyz` said yes at the last check (every 100 ms).
pub struct Balancer {
    pub url: String,
    /// Connections relayed to each backend, in the order given.
    pub relayed: Arc<Vec<std::sync::atomic::AtomicUsize>>,
}

impl Balancer {
    pub fn start(backends: &[&str]) -> Balancer {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let backends: Vec<String> = backends.iter().map(|b| (*b).to_owned()).collect();
        let healthy: Arc<Vec<AtomicBool>> =
            Arc::new(backends.iter().map(|b| AtomicBool::new(ready(b))).collect());
        let relayed: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        {
            let (healthy, backends) = (healthy.clone(), backends.clone());
            std::thread::spawn(move || {
                loop {
                    for (n, backend) in backends.iter().enumerate() {
                        healthy[n].store(ready(backend), Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let counts = relayed.clone();
        std::thread::spawn(move || {
            let mut next = 0usize;
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let picked = (0..backends.len())
                    .map(|i| (next + i) % backends.len())
                    .find(|&n| healthy[n].load(Ordering::SeqCst));
                let Some(n) = picked else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                next = n + 1;
                let address = backends[n].trim_start_matches("http://");
                let Ok(server) = std::net::TcpStream::connect(address) else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                counts[n].fetch_add(1, Ordering::SeqCst);
                relay(client, server, Armed::default());
            }
        });
        Balancer { url, relayed }
    }
}

/// Copies bytes both ways between a client and a server until each side closes.
/// A request whose answer the relay is to lose, once.
type Armed = Arc<Mutex<Option<Vec<u8>>>>;

fn relay(client: std::net::TcpStream, server: std::net::TcpStream, armed: Armed) {
    use std::io::{Read, Write};
    // Set when this connection carried the armed request: the server's answer to it never
    // reaches the client, whose connection then closes (the server has done the work).
    let swallow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (mut from, mut to) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let swallow = swallow.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                {
                    let mut armed = armed.lock().unwrap();
                    if armed
                        .as_ref()
                        .is_some_and(|m| chunk.windows(m.len()).any(|w| w == m.as_slice()))
                    {
                        *armed = None;
                        swallow.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
                if to.write_all(chunk).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }
    let (mut from, mut to) = (server, client);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if swallow.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = to.shutdown(std::net::Shutdown::Both);
                let _ = from.shutdown(std::net::Shutdown::Both);
                return;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// A loopback TCP relay to `target` that a test can cut and mend: a network partition between
/// one client and the server while others still reach it. Cut, it closes every open connection
/// and refuses new ones at once (what a client sees when its network is gone).
pub struct Proxy {
    pub url: String,
    cut: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<std::net::TcpStream>>>,
    armed: Armed,
}

impl Proxy {
    /// Relays to `target` (`http://host:port`).
    pub fn start(target: &str) -> Proxy {
        let upstream = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::default();
        let armed: Armed = Arc::default();
        let (is_cut, streams, arm) = (cut.clone(), open.clone(), armed.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                };
                {
                    let mut streams = streams.lock().unwrap();
                    streams.retain(|s| s.peer_addr().is_ok());
                    streams.push(client.try_clone().unwrap());
                    streams.push(server.try_clone().unwrap());
                }
                relay(client, server, arm.clone());
            }
        });
        Proxy {
            url,
            cut,
            open,
            armed,
        }
    }

    /// The next request whose bytes contain `marker` (a request line such as
    /// `POST /v1/programs HTTP`) reaches the server, which does the work, but its answer is
    /// lost on the way back and the client's connection closes: the lost answer after a commit.
    pub fn lose_answer_to(&self, marker: &str) {
        *self.armed.lock().unwrap() = Some(marker.as_bytes().to_vec());
    }

    /// Whether the armed request has gone by (its answer lost).
    pub fn answer_lost(&self) -> bool {
        self.armed.lock().unwrap().is_none()
    }

    /// The network goes: open connections close, new ones are refused.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The network is back.
    pub fn mend(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
