use super::*;

/// `{"a": [1, -2, 3.5], "b": OrderedDict(), "c": f(None, True)}` with a
/// memoised dict fetched back after it was filled.
fn sample() -> Vec<u8> {
    let mut p = vec![0x80, 2, b'}', b'q', 0, b'('];
    p.extend(b"X\x01\x00\x00\x00a");
    p.extend(b"]q\x01(K\x01J\xfe\xff\xff\xffG");
    p.extend(3.5f64.to_be_bytes());
    p.extend(b"e");
    p.extend(b"X\x01\x00\x00\x00bccollections\nOrderedDict\n)R");
    p.extend(b"X\x01\x00\x00\x00ccm\nf\nN\x88\x86R");
    p.extend(b"uh\x00h\x01\x86.");
    p
}

#[test]
fn reads_containers_memo_and_calls() {
    let data = sample();
    let (p, end) = load(&data, 0).unwrap();
    assert_eq!(end, data.len());
    let pair = p.tuple(p.root()).unwrap();
    let dict = pair[0];
    let list = p.dict_get(dict, "a").unwrap();
    let Value::List(items) = p.get(list) else {
        panic!("{:?}", p.get(list))
    };
    assert_eq!(p.int(items[0]), Some(1));
    assert_eq!(p.int(items[1]), Some(-2));
    assert_eq!(p.get(items[2]), &Value::Float(3.5));
    assert_eq!(pair[1], list, "BINGET shares the memoised list");
    assert_eq!(p.get(p.dict_get(dict, "b").unwrap()), &Value::Dict(vec![]));
    let Value::Call { func, args } = p.get(p.dict_get(dict, "c").unwrap()) else {
        panic!()
    };
    assert_eq!(p.global(*func), Some(("m", "f")));
    assert_eq!(p.tuple(*args).unwrap().len(), 2);
}

#[test]
fn long1_decodes_twos_complement() {
    assert_eq!(long(&[0xff]), Value::Int(-1));
    assert_eq!(long(&[0x00, 0x80, 0x00]), Value::Int(0x8000));
    assert_eq!(long(&[]), Value::Int(0));
    assert!(matches!(long(&[1; 10]), Value::Long(_)));
}

#[test]
fn unknown_opcodes_and_bad_stacks_are_errors() {
    let e = load(b"\x80\x02\x94.", 0).unwrap_err();
    assert!(e.to_string().contains("0x94"), "{e}");
    let e = load(b"\x80\x02K\x01(\x85.", 0);
    assert!(e.is_err(), "TUPLE1 may not pop below a MARK");
    let e = load(b"\x80\x02K\x01s.", 0).unwrap_err();
    assert!(e.reason.contains("underflow"), "{e}");
    let e = load(b"\x80\x02h\x05.", 0).unwrap_err();
    assert!(e.reason.contains("memo"), "{e}");
}

#[test]
fn no_truncation_or_byte_flip_panics() {
    let data = sample();
    for n in 0..data.len() {
        let e = load(&data[..n], 0).unwrap_err();
        assert!(e.offset <= n, "{e}");
    }
    for i in 0..data.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut d = data.clone();
            d[i] ^= flip;
            let _ = load(&d, 0);
        }
    }
}
