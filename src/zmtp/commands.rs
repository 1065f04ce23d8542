//! ZMTP 3.x command bodies (RFC 23 §"Commands", RFC 37): a name-size octet, the name,
//! then command data. Also the metadata property list carried by READY and INITIATE.

use crate::msg::Msg;

/// Longest PING context a PONG echoes (RFC 37).
pub const MAX_PING_CONTEXT: usize = 16;

/// A parsed command, borrowing from the frame body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// Metadata properties.
    Ready(&'a [u8]),
    /// The reason, already checked to fit the frame.
    Error(&'a [u8]),
    /// `ttl` in deciseconds (0 = none).
    Ping { ttl: u16, context: &'a [u8] },
    Pong { context: &'a [u8] },
    Subscribe(&'a [u8]),
    Cancel(&'a [u8]),
    /// RADIO/DISH (RFC 48): a DISH joins or leaves a group.
    Join(&'a [u8]),
    Leave(&'a [u8]),
    /// Anything else (HELLO, WELCOME, INITIATE, MESSAGE... for other mechanisms).
    Other { name: &'a [u8], data: &'a [u8] },
}

/// Why a command body could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Empty, or the name runs past the end.
    Name,
    /// An ERROR whose reason runs past the end.
    ErrorReason,
}

pub fn parse(body: &[u8]) -> Result<Command<'_>, Malformed> {
    let (&name_len, rest) = body.split_first().ok_or(Malformed::Name)?;
    if rest.len() < name_len as usize {
        return Err(Malformed::Name);
    }
    let (name, data) = rest.split_at(name_len as usize);
    Ok(match name {
        b"READY" => Command::Ready(data),
        b"ERROR" => {
            let (&len, reason) = data.split_first().ok_or(Malformed::ErrorReason)?;
            Command::Error(reason.get(..len as usize).ok_or(Malformed::ErrorReason)?)
        }
        // A PING too short to hold a TTL is taken as TTL 0 (libzmq would read past it).
        b"PING" => match data {
            [a, b, context @ ..] => Command::Ping { ttl: u16::from_be_bytes([*a, *b]), context },
            _ => Command::Ping { ttl: 0, context: &[] },
        },
        b"PONG" => Command::Pong { context: data },
        b"SUBSCRIBE" => Command::Subscribe(data),
        b"CANCEL" => Command::Cancel(data),
        b"JOIN" => Command::Join(data),
        b"LEAVE" => Command::Leave(data),
        _ => Command::Other { name, data },
    })
}

/// A command body: name-size, name, then `data`.
pub fn build(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + name.len() + data.len());
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    out
}

pub fn ping(ttl_deciseconds: u16, context: &[u8]) -> Vec<u8> {
    let mut data = ttl_deciseconds.to_be_bytes().to_vec();
    data.extend_from_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
    build(b"PING", &data)
}

/// The answer to a PING: its context, truncated to 16 bytes as libzmq does.
pub fn pong(context: &[u8]) -> Vec<u8> {
    build(b"PONG", &context[..context.len().min(MAX_PING_CONTEXT)])
}

pub fn subscribe(topic: &[u8]) -> Vec<u8> {
    build(b"SUBSCRIBE", topic)
}

pub fn cancel(topic: &[u8]) -> Vec<u8> {
    build(b"CANCEL", topic)
}

/// A DISH's JOIN (or LEAVE) of `group`, as it travels to the RADIO: the command frame
/// libzmq sends on ZMTP 3.x connections ("\x04JOIN" + group, no length byte), and the
/// same message over inproc.
pub fn group_message(join: bool, group: &[u8]) -> Msg {
    let mut m = Msg::from_vec(build(if join { b"JOIN" } else { b"LEAVE" }, group));
    m.set_flags(crate::msg::flags::COMMAND);
    m
}

/// An ERROR command; the reason is cut to 255 bytes.
pub fn error(reason: &[u8]) -> Vec<u8> {
    let reason = &reason[..reason.len().min(255)];
    let mut data = vec![reason.len() as u8];
    data.extend_from_slice(reason);
    build(b"ERROR", &data)
}

/// The ZMTP 3.0 form of a subscription, which every XPUB understands and XSUB sockets
/// receive from the application: 1 (subscribe) or 0 (cancel), then the topic. Use it to
/// hand Event::Subscribe/Cancel to an XPUB that expects messages.
pub fn subscription_message(subscribe: bool, topic: &[u8]) -> Msg {
    // Built in place (inline when short, else one buffer of its own): no Vec to copy
    // from. A new message is its own sole owner, so data_mut always gives its bytes.
    let mut msg = Msg::with_size(1 + topic.len());
    let body = msg.data_mut().expect("a new message is ours alone");
    body[0] = subscribe as u8;
    body[1..].copy_from_slice(topic);
    msg
}

/// Appends one metadata property. Names over 255 bytes cannot be encoded and are skipped
/// (libzmq refuses them at setsockopt time), as are values over 2^31-1 bytes.
pub fn write_property(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    if name.len() > u8::MAX as usize || value.len() > i32::MAX as usize {
        return;
    }
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

/// Parses a metadata property list: (name-size, name, 4-byte value-size, value)*.
/// Anything left over that is not a whole property makes the list invalid.
pub fn parse_properties(mut data: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut props = Vec::new();
    while !data.is_empty() {
        let (&name_len, rest) = data.split_first()?;
        let name = rest.get(..name_len as usize)?;
        let rest = &rest[name_len as usize..];
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let value = rest[4..].get(..size)?;
        props.push((name, value));
        data = &rest[4 + size..];
    }
    Some(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_messages_of_any_topic_length() {
        for len in [0usize, 10, 31, 32, 100, 300] {
            let topic: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for subscribe in [true, false] {
                let m = subscription_message(subscribe, &topic);
                assert_eq!(m.data()[0], subscribe as u8);
                assert_eq!(&m.data()[1..], &topic[..]);
                assert!(!m.more());
            }
        }
    }

    #[test]
    fn parse_commands() {
        assert_eq!(parse(&ping(12, b"ctx")), Ok(Command::Ping { ttl: 12, context: b"ctx" }));
        assert_eq!(parse(b"\x04PING"), Ok(Command::Ping { ttl: 0, context: b"" }));
        assert_eq!(parse(&pong(&[7; 20])), Ok(Command::Pong { context: &[7; 16] }));
        assert_eq!(parse(&subscribe(b"A")), Ok(Command::Subscribe(b"A")));
        assert_eq!(parse(&cancel(b"")), Ok(Command::Cancel(b"")));
        assert_eq!(parse(group_message(true, b"TV").data()), Ok(Command::Join(b"TV")));
        assert_eq!(parse(group_message(false, b"TV").data()), Ok(Command::Leave(b"TV")));
        assert_eq!(group_message(true, b"TV").data(), b"\x04JOINTV");
        assert_eq!(parse(&error(b"400")), Ok(Command::Error(b"400")));
        assert_eq!(parse(b"\x05ERROR\x04abc"), Err(Malformed::ErrorReason));
        assert_eq!(parse(b"\x05ERROR"), Err(Malformed::ErrorReason));
        assert_eq!(parse(b""), Err(Malformed::Name));
        assert_eq!(parse(b"\x09SUB"), Err(Malformed::Name));
        assert_eq!(parse(b"\x05HELLOxyz"), Ok(Command::Other { name: b"HELLO", data: b"xyz" }));
        assert_eq!(parse(b"\x05ready"), Ok(Command::Other { name: b"ready", data: b"" }));
    }

    #[test]
    fn properties() {
        let mut p = Vec::new();
        write_property(&mut p, b"Socket-Type", b"DEALER");
        write_property(&mut p, b"Identity", b"");
        write_property(&mut p, b"", b"x");
        let parsed = parse_properties(&p).unwrap();
        assert_eq!(parsed, vec![(&b"Socket-Type"[..], &b"DEALER"[..]), (b"Identity", b""), (b"", b"x")]);
        assert_eq!(parse_properties(&[]), Some(vec![]));
        for cut in 1..p.len() {
            // Cuts between properties leave a valid, shorter list.
            let boundary = cut == 22 || cut == 35;
            assert_eq!(parse_properties(&p[..cut]).is_some(), boundary, "cut {cut}");
        }
        // A value size near 2^32 must not overflow anything.
        assert!(parse_properties(&[1, b'a', 0xFF, 0xFF, 0xFF, 0xFF, 0]).is_none());
    }
}
