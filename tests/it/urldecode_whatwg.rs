//! The WHATWG URL Standard's own test data, run through the `netlab` binary:
//! - every valid case of `urltestdata.json` gives the expected components in `--json`;
//! - every failure case is a clear error with exit 2 under `--as url`;
//! - every case of `urlencoded-parser-data.json` gives exactly the expected pairs.
//!
//! Inputs that cannot be passed as an argument (they hold a NUL byte) go through the library.

use clap::Parser;
use serde_json::Value;

use crate::harness::Lab;

const COMPONENTS: [&str; 10] = [
    "href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search",
    "hash",
];

// Why the url crate (and so netlab) differs from the standard's data on a case.
const FILE: &str = "file: URLs: the url crate predates the standard's rules for drive letters, \
                    hosts and empty path segments";
const EMPTY_HOST: &str = "`///host` against a special base: the url crate refuses the empty host \
                          where the standard skips the extra slashes";
const OPAQUE_SPACE: &str = "an opaque path ending in spaces before ? or #: the standard (2024) \
                            escapes the last one as %20, the url crate keeps it";
const CARET: &str = "`^` in a path: the standard (2024) added it to the path percent-encode set, \
                     the url crate has not";

/// Cases (input, base) where the url crate is known to differ from the standard's data, in four
/// groups, each a lag of the url crate (2.5), not of netlab.
#[rustfmt::skip]
const KNOWN_DIFFERENCES: &[(&str, Option<&str>, &str)] = &[
    ("/", Some("file://h/C:/a/b"), FILE),
    ("/..//localhost//pig", Some("file://lion/"), FILE),
    ("/////mouse", Some("file:///elephant"), FILE),
    ("////one/two", Some("file:///"), FILE),
    ("///\\//\\//test", Some("http://example.org/"), EMPTY_HOST),
    ("///example.org/../../", Some("http://example.org/"), EMPTY_HOST),
    ("///example.org/../path", Some("http://example.org/"), EMPTY_HOST),
    ("///example.org/../path/../../", Some("http://example.org/"), EMPTY_HOST),
    ("///example.org/../path/../../path", Some("http://example.org/"), EMPTY_HOST),
    ("///example.org/path", Some("http://example.org/"), EMPTY_HOST),
    ("///test", Some("http://example.org/"), EMPTY_HOST),
    ("//localhost//pig", Some("file://lion/"), FILE),
    ("/C:/", Some("file://host/"), FILE),
    ("/\\//\\/a/../", Some("file:///"), FILE),
    ("/c:/foo/bar", Some("file://host/path"), FILE),
    ("C|", Some("file://host/D:/dir1/dir2/file"), FILE),
    ("C|", Some("file://host/dir/file"), FILE),
    ("C|#", Some("file://host/dir/file"), FILE),
    ("C|/", Some("file://host/"), FILE),
    ("C|/", Some("file://host/dir/file"), FILE),
    ("C|?", Some("file://host/dir/file"), FILE),
    ("C|\\", Some("file://host/dir/file"), FILE),
    ("C|\n/", Some("file://host/dir/file"), FILE),
    ("\\/localhost//pig", Some("file://lion/"), FILE),
    ("file:.//p", None, FILE),
    ("file:/.//p", None, FILE),
    ("file:///.//", Some("file:////"), FILE),
    ("file:////foo", None, FILE),
    ("file:////one/two", Some("file:///"), FILE),
    ("file:///w|/m", None, FILE),
    ("file://1.2.3.4/C:/", None, FILE),
    ("file://[1::8]/C:/", None, FILE),
    ("file://\\/localhost//cat", None, FILE),
    ("file://example.net/C:/", None, FILE),
    ("file://localhost////foo", None, FILE),
    ("file://localhost//a//../..//", None, FILE),
    ("file://localhost//a//../..//foo", None, FILE),
    ("file://spider///", None, FILE),
    ("file:/C:/", Some("file://host/"), FILE),
    ("file:C:/", Some("file://host/"), FILE),
    ("file:\\\\//", None, FILE),
    ("file:\\\\\\\\", None, FILE),
    ("file:\\\\\\\\#guppy", None, FILE),
    ("file:\\\\\\\\?fox", None, FILE),
    ("file:\\\\localhost//", None, FILE),
    ("foo://host/ !\"$%&'()*+,-./:;<=>@[\\]^_`{|}~", None, CARET),
    ("non-special:opaque  #hi", None, OPAQUE_SPACE),
    ("non-special:opaque  ?hi", None, OPAQUE_SPACE),
    ("non-special:opaque \t\t  #hi", None, OPAQUE_SPACE),
    ("non-special:opaque \t\t  \t#hi", None, OPAQUE_SPACE),
    ("non-special:opaque\t\t  \r #hi", None, OPAQUE_SPACE),
    ("wss://host/ !\"$%&'()*+,-./:;<=>@[\\]^_`{|}~", None, CARET),
];

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/it/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("test data is JSON")
}

/// A case of urltestdata.json.
struct Case {
    input: String,
    base: Option<String>,
    expected: Option<Value>,
}

fn url_cases() -> Vec<Case> {
    load("urltestdata.json")
        .into_iter()
        .filter(|v| v.is_object())
        .map(|v| Case {
            input: v["input"].as_str().unwrap().to_string(),
            base: v["base"].as_str().map(str::to_string),
            expected: (!v["failure"].as_bool().unwrap_or(false)).then_some(v),
        })
        .collect()
}

fn known_difference(case: &Case) -> bool {
    KNOWN_DIFFERENCES
        .iter()
        .any(|(input, base, _)| *input == case.input && *base == case.base.as_deref())
}

/// Decode through the library: for inputs an argument cannot carry.
fn through_library(args: &[&str], input: &str) -> Result<String, String> {
    let mut argv = vec!["netlab", "urldecode"];
    argv.extend_from_slice(args);
    let cli = netlab::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let netlab::cli::Command::Urldecode(args) = cli.command else {
        unreachable!()
    };
    let mut session =
        netlab::url::Session::from_args(&args, false).map_err(|e| format!("{e:#}"))?;
    session
        .input(input.as_bytes())
        .map_err(|e| format!("{e:#}"))?;
    Ok(String::from_utf8(session.out).unwrap())
}

fn base_args(base: &Option<String>) -> Vec<String> {
    let mut args = vec!["--json".to_string(), "--as".into(), "url".into()];
    if let Some(base) = base {
        args.push(format!("--base={base}"));
    }
    args
}

#[test]
fn every_valid_case_of_urltestdata_gives_the_standard_components() {
    let lab = Lab::new();
    let cases: Vec<Case> = url_cases()
        .into_iter()
        .filter(|c| c.expected.is_some() && !known_difference(c))
        .collect();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    // One run of the binary per base, with every input of that base as an argument.
    let mut bases: Vec<Option<String>> = cases.iter().map(|c| c.base.clone()).collect();
    bases.sort();
    bases.dedup();
    for base in bases {
        let group: Vec<&Case> = cases.iter().filter(|c| c.base == base).collect();
        let (by_arg, by_library): (Vec<&Case>, Vec<&Case>) =
            group.into_iter().partition(|c| !c.input.contains('\0'));
        let mut outputs: Vec<(&Case, String)> = Vec::new();
        if !by_arg.is_empty() {
            let run_with = |inputs: &[&Case]| {
                let mut args = vec!["urldecode".to_string()];
                args.extend(base_args(&base));
                args.push("--".into());
                args.extend(inputs.iter().map(|c| c.input.clone()));
                lab.cmd(&args).run()
            };
            let run = run_with(&by_arg);
            if run.code() == Some(0) {
                let stdout = run.stdout();
                let lines: Vec<&str> = stdout.lines().collect();
                assert_eq!(
                    lines.len(),
                    by_arg.len(),
                    "one line per input\n{}",
                    run.context()
                );
                outputs.extend(
                    by_arg
                        .iter()
                        .copied()
                        .zip(lines.iter().map(|l| l.to_string())),
                );
            } else {
                // Some input was refused: find which, one by one.
                for case in &by_arg {
                    let run = run_with(&[case]);
                    if run.code() == Some(0) {
                        outputs.push((case, run.stdout().trim_end().to_string()));
                    } else {
                        mismatches.push(format!(
                            "{:?} (base {:?}) was refused: {}",
                            case.input,
                            case.base,
                            run.stderr().trim_end()
                        ));
                    }
                }
            }
        }
        for case in by_library {
            let args = base_args(&base);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = through_library(&args, &case.input)
                .unwrap_or_else(|e| panic!("{:?}: {e}", case.input));
            outputs.push((case, out.trim_end().to_string()));
        }
        for (case, line) in outputs {
            let got: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("output for {:?} is not JSON ({e}): {line}", case.input)
            });
            let expected = case.expected.as_ref().unwrap();
            for name in COMPONENTS {
                if got[name] != expected[name] {
                    mismatches.push(format!(
                        "{:?} (base {:?}): {name} is {} but the standard says {}",
                        case.input, case.base, got[name], expected[name]
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} cases checked");
    // Every known difference is still one (else it belongs back among the checked cases).
    for (input, base, why) in KNOWN_DIFFERENCES {
        let case = url_cases()
            .into_iter()
            .find(|c| c.input == *input && c.base.as_deref() == *base)
            .unwrap_or_else(|| panic!("known difference {input:?} is not in the data"));
        let args = base_args(&case.base);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let expected = case.expected.as_ref().unwrap();
        if let Ok(line) = through_library(&args, &case.input) {
            let got: Value = serde_json::from_str(line.trim_end()).unwrap();
            assert!(
                COMPONENTS.iter().any(|name| got[name] != expected[name]),
                "{input:?} no longer differs ({why}): remove it from KNOWN_DIFFERENCES"
            );
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_failure_case_of_urltestdata_is_a_clear_error_with_exit_2() {
    let lab = Lab::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in url_cases()
        .into_iter()
        .filter(|c| c.expected.is_none() && !known_difference(c))
    {
        checked += 1;
        if case.input.contains('\0') {
            let args = base_args(&case.base);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if through_library(&args, &case.input).is_ok() {
                wrong.push(format!(
                    "{:?} (base {:?}) was accepted",
                    case.input, case.base
                ));
            }
            continue;
        }
        let mut args = vec!["urldecode".to_string()];
        args.extend(base_args(&case.base));
        args.push("--".into());
        args.push(case.input.clone());
        let run = lab.cmd(&args).run();
        let stderr = run.stderr();
        let last = stderr.lines().last().unwrap_or("");
        let clear = last.starts_with("netlab: ")
            && (last.contains("not a valid URL") || last.contains("--base"));
        if run.code() != Some(2) || !clear || !run.stdout.is_empty() {
            wrong.push(format!(
                "{:?} (base {:?}): exit {:?}, stderr {last:?}",
                case.input,
                case.base,
                run.code()
            ));
        }
    }
    assert!(checked > 200, "only {checked} failure cases checked");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_case_of_urlencoded_parser_data_gives_exactly_the_expected_pairs() {
    let lab = Lab::new();
    let cases = load("urlencoded-parser-data.json");
    let inputs: Vec<String> = cases
        .iter()
        .map(|c| c["input"].as_str().unwrap().to_string())
        .collect();
    let mut args = vec![
        "urldecode".to_string(),
        "--json".into(),
        "--as".into(),
        "query".into(),
        "--".into(),
    ];
    args.extend(inputs.iter().cloned());
    let run = lab.cmd(&args).run();
    run.success();
    let stdout = run.stdout();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), cases.len(), "{}", run.context());
    for (case, line) in cases.iter().zip(lines) {
        let got: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            got["params"],
            case["output"],
            "pairs of {:?}\n{}",
            case["input"],
            run.context()
        );
    }
}
