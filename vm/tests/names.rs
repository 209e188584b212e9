//! The name section: read when a name is first asked for (a backtrace),
//! never an error, and the last one wins when a module has several.

use skiff_vm::{Features, decode, wat_to_binary};

/// A custom section named `name` holding `payload`.
fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut section = vec![0, body.len() as u8];
    section.extend(body);
    section
}

/// A name section's payload naming the functions `names` (index, name).
fn function_names(names: &[(u8, &str)]) -> Vec<u8> {
    let mut map = vec![names.len() as u8];
    for (index, name) in names {
        map.push(*index);
        map.push(name.len() as u8);
        map.extend_from_slice(name.as_bytes());
    }
    let mut payload = vec![1, map.len() as u8];
    payload.extend(map);
    payload
}

/// Two functions without names, then `sections` appended.
fn module_with(sections: &[Vec<u8>]) -> skiff_vm::Module {
    let mut bytes = wat_to_binary("(module (func) (func))").unwrap();
    for s in sections {
        bytes.extend_from_slice(s);
    }
    decode(&bytes, &Features::WASM2).unwrap()
}

#[test]
fn functions_are_named_from_the_name_section() {
    let m = module_with(&[custom(
        "name",
        &function_names(&[(0, "first"), (1, "second")]),
    )]);
    assert_eq!(m.func_name(0), Some("first"));
    assert_eq!(m.func_name(1), Some("second"));
    assert_eq!(m.func_name(2), None);
}

#[test]
fn text_identifiers_become_names() {
    let bytes = wat_to_binary("(module (func $inner) (func $outer (call $inner)))").unwrap();
    let m = decode(&bytes, &Features::WASM2).unwrap();
    assert_eq!(m.func_name(0), Some("inner"));
    assert_eq!(m.func_name(1), Some("outer"));
}

#[test]
fn a_broken_name_section_is_no_error() {
    // A function map that claims three names and holds one, then garbage.
    let mut payload = function_names(&[(0, "first")]);
    payload[2] = 3;
    payload.extend_from_slice(&[0xff, 0xff, 0xff]);
    let m = module_with(&[custom("name", &payload)]);
    assert_eq!(m.func_name(1), None);
    // Nothing at all that decodes.
    let m = module_with(&[custom("name", &[0xff; 5])]);
    assert_eq!(m.func_name(0), None);
    assert_eq!(m.names().module, None);
}

#[test]
fn the_last_name_section_wins() {
    let m = module_with(&[
        custom("name", &function_names(&[(0, "old")])),
        custom("other", b"unrelated"),
        custom("name", &function_names(&[(0, "new")])),
    ]);
    assert_eq!(m.func_name(0), Some("new"));
    // Every custom section is still listed, in order.
    let listed: Vec<&str> = m.customs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(listed, ["name", "other", "name"]);
}
