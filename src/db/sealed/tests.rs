//! Unit tests of sealing and opening.

use super::*;

fn ring(keys: &[&str]) -> Keyring {
    Keyring::parse(&keys.join(",")).unwrap()
}

#[test]
fn a_sealed_value_opens_only_in_its_own_column_and_row() {
    let k = generate_key();
    let ring = ring(&[&k]);
    let notes = &CLIENTS_MEDICAL_NOTES;
    let sealed = ring
        .seal(notes, &"row-1", "asthma, knee surgery 2024")
        .unwrap();
    assert!(sealed.starts_with(&format!("fcrm1.{}.", ring.current_id())));
    assert!(!sealed.contains("asthma"));
    assert_eq!(
        ring.open(notes, &"row-1", sealed.clone()).unwrap(),
        "asthma, knee surgery 2024"
    );
    assert!(matches!(
        ring.open(notes, &"row-2", sealed.clone()),
        Err(OpenError::Corrupt { .. })
    ));
    let other = &CLIENTS_EMERGENCY_NAME;
    assert!(ring.open(other, &"row-1", sealed.clone()).is_err());
    let mut tampered = sealed.clone();
    tampered.pop();
    tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(ring.open(notes, &"row-1", tampered).is_err());
}

#[test]
fn the_same_text_seals_differently_each_time() {
    let ring = ring(&[&generate_key()]);
    let c = &CLIENT_NOTES_BODY;
    assert_ne!(
        ring.seal(c, &1, "same").unwrap(),
        ring.seal(c, &1, "same").unwrap()
    );
}

#[test]
fn older_keys_open_and_only_the_first_seals() {
    let (old, new) = (generate_key(), generate_key());
    let c = &CLIENTS_MEDICAL_NOTES;
    let before = ring(&[&old]).seal(c, &"r", "x").unwrap();
    let both = ring(&[&new, &old]);
    assert_eq!(both.open(c, &"r", before.clone()).unwrap(), "x");
    assert!(!both.is_current(&before));
    assert!(both.is_current(&both.seal(c, &"r", "x").unwrap()));
    match ring(&[&new]).open(c, &"r", before) {
        Err(OpenError::UnknownKey { key_id, .. }) => {
            assert_eq!(key_id, ring(&[&old]).current_id())
        }
        other => panic!("expected an unknown key, got {other:?}"),
    }
}

#[test]
fn a_value_written_before_encryption_reads_as_it_is() {
    let ring = ring(&[&generate_key()]);
    let c = &CLIENTS_MEDICAL_NOTES;
    assert_eq!(ring.open(c, &"r", "plain".into()).unwrap(), "plain");
}

#[test]
fn bad_keys_are_named() {
    assert!(Keyring::parse("").is_err());
    assert!(
        Keyring::parse("c2hvcnQ=")
            .unwrap_err()
            .contains("data key 1 is not 32 bytes")
    );
    let k = generate_key();
    assert!(
        Keyring::parse(&format!("{k}\n{k}"))
            .unwrap_err()
            .contains("twice")
    );
    let ring = Keyring::parse(&format!("# a comment\n{k}\n")).unwrap();
    assert_eq!(ring.ids().len(), 1);
}

#[test]
fn a_key_file_is_created_once_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/fitnesscrm.key");
    let first = Keyring::from_file(&path).unwrap();
    let again = Keyring::from_file(&path).unwrap();
    assert_eq!(first.current_id(), again.current_id());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
