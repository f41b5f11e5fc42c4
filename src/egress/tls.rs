//! Reading the server name (SNI) out of a TLS ClientHello, without a TLS library: the proxy
//! checks that a tunnel opened for one host does not carry a handshake for another (domain
//! fronting on a shared address).

/// What the first bytes of a tunnel say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hello {
    /// A complete ClientHello; the server name if it sent one.
    Sni(Option<String>),
    /// Not a TLS handshake record.
    NotTls,
    /// A TLS record, but more bytes are needed (`usize`: how many in total).
    NeedMore(usize),
    /// A TLS handshake that cannot be read (malformed, or a ClientHello split over records).
    Malformed,
}

/// Largest TLS record body (2^14) plus a little for the header.
pub const MAX_RECORD: usize = 16_384 + 2048 + 5;

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<usize> {
        self.take(1)
            .and_then(|s| s.first().map(|&b| usize::from(b)))
    }
    fn u16(&mut self) -> Option<usize> {
        let s = self.take(2)?;
        Some(usize::from(*s.first()?) << 8 | usize::from(*s.get(1)?))
    }
    fn u24(&mut self) -> Option<usize> {
        Some(self.u8()? << 16 | self.u16()?)
    }
}

/// Parse the first record of a tunnel.
pub fn client_hello(buf: &[u8]) -> Hello {
    match buf.first() {
        None => return Hello::NeedMore(5),
        Some(22) => {}
        Some(_) => return Hello::NotTls,
    }
    let mut c = Cursor { buf, pos: 1 };
    let (Some(_version), Some(len)) = (c.u16(), c.u16()) else {
        return Hello::NeedMore(5);
    };
    let total = 5 + len;
    if buf.len() < total {
        return Hello::NeedMore(total);
    }
    let record = buf.get(5..total).unwrap_or_default();
    parse_handshake(record).unwrap_or(Hello::Malformed)
}

fn parse_handshake(record: &[u8]) -> Option<Hello> {
    let mut c = Cursor {
        buf: record,
        pos: 0,
    };
    if c.u8()? != 1 {
        return None; // not a ClientHello
    }
    let len = c.u24()?;
    // The whole ClientHello must be in this record (no fragmentation).
    let body = c.take(len)?;
    let mut c = Cursor { buf: body, pos: 0 };
    c.take(2 + 32)?; // legacy version, random
    let sid = c.u8()?;
    c.take(sid)?;
    let suites = c.u16()?;
    c.take(suites)?;
    let comp = c.u8()?;
    c.take(comp)?;
    if c.pos == body.len() {
        return Some(Hello::Sni(None));
    }
    let ext_len = c.u16()?;
    let exts = c.take(ext_len)?;
    let mut e = Cursor { buf: exts, pos: 0 };
    let mut name = None;
    while e.pos < exts.len() {
        let kind = e.u16()?;
        let len = e.u16()?;
        let data = e.take(len)?;
        if kind == 0 {
            if name.is_some() {
                return None; // two server_name extensions
            }
            let mut d = Cursor { buf: data, pos: 0 };
            let list = d.u16()?;
            let list = d.take(list)?;
            let mut l = Cursor { buf: list, pos: 0 };
            while l.pos < list.len() {
                let t = l.u8()?;
                let n = l.u16()?;
                let bytes = l.take(n)?;
                if t == 0 {
                    if name.is_some() {
                        return None; // two host names
                    }
                    name = Some(String::from_utf8(bytes.to_vec()).ok()?.to_ascii_lowercase());
                }
            }
        }
    }
    Some(Hello::Sni(name))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ClientHello record with the given server names (tests build their own bytes;
    /// the real-client tests use curl and git).
    pub(crate) fn hello(names: &[&str]) -> Vec<u8> {
        let mut ext = Vec::new();
        if !names.is_empty() {
            let mut list = Vec::new();
            for n in names {
                list.push(0u8);
                list.extend((n.len() as u16).to_be_bytes());
                list.extend(n.as_bytes());
            }
            let mut data = (list.len() as u16).to_be_bytes().to_vec();
            data.extend(list);
            ext.extend(0u16.to_be_bytes());
            ext.extend((data.len() as u16).to_be_bytes());
            ext.extend(data);
        }
        // an unrelated extension (supported_versions) after it
        ext.extend([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]);
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0x00, 0x02, 0x13, 0x01]); // one suite
        body.extend([0x01, 0x00]); // null compression
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(ext);
        let mut hs = vec![1u8];
        hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend(body);
        let mut rec = vec![22u8, 0x03, 0x01];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }

    #[test]
    fn reads_the_server_name() {
        assert_eq!(
            client_hello(&hello(&["GitHub.com"])),
            Hello::Sni(Some("github.com".into()))
        );
        assert_eq!(client_hello(&hello(&[])), Hello::Sni(None));
        assert_eq!(client_hello(&hello(&["a.com", "b.com"])), Hello::Malformed);
    }

    #[test]
    fn partial_and_foreign_input() {
        let h = hello(&["github.com"]);
        assert_eq!(client_hello(&h[..3]), Hello::NeedMore(5));
        assert_eq!(client_hello(&h[..20]), Hello::NeedMore(h.len()));
        assert_eq!(client_hello(b"GET / HTTP/1.1\r\n"), Hello::NotTls);
        assert_eq!(client_hello(b"SSH-2.0-x"), Hello::NotTls);
        // A record that claims more handshake bytes than it holds (fragmented or forged).
        let mut bad = h.clone();
        bad[7] = 0xff;
        assert_eq!(client_hello(&bad), Hello::Malformed);
        // Every truncation of the handshake inside a well-framed record is malformed, never a panic.
        for cut in 6..h.len() {
            let mut t = h[..cut].to_vec();
            let len = (cut - 5) as u16;
            t[3..5].copy_from_slice(&len.to_be_bytes());
            assert_eq!(client_hello(&t), Hello::Malformed, "cut {cut}");
        }
    }
}
