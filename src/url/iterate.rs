//! `netlab url --iterate`: each option's values as sets, and every combination of them.

use super::edit::{self, Comp, Set, SetMode};

/// Every combination of one value per --iterate, the first --iterate varying slowest (as
/// trurl nests them). Each list holds at least one value.
pub fn combinations(iterates: &[Vec<Set>]) -> impl Iterator<Item = Vec<&Set>> {
    let total: usize = iterates.iter().map(Vec::len).product();
    (0..total).map(move |mut n| {
        let mut chosen: Vec<&Set> = iterates.iter().map(|values| &values[0]).collect();
        for (slot, values) in chosen.iter_mut().zip(iterates).rev() {
            *slot = &values[n % values.len()];
            n /= values.len();
        }
        chosen
    })
}

/// `--iterate COMP=A B C` (or `COMP:=…`, values already encoded): one `--set` per value, each
/// checked as --set checks it.
pub fn parse_iterate(arg: &str, sets: &[Set]) -> Result<Vec<Set>, String> {
    let fail = |why: String| format!("--iterate `{arg}`: {why}");
    let Some((name, values)) = arg.split_once('=') else {
        return Err(fail("expected COMP=VALUE VALUE …".to_string()));
    };
    let (name, mode) = match name.strip_suffix(':') {
        Some(name) => (name, SetMode::Raw),
        None => (name, SetMode::Encode),
    };
    let comp = Comp::parse(name)
        .filter(|&comp| comp != Comp::Url)
        .ok_or_else(|| {
            fail(format!(
                "unknown component `{name}` (one of {})",
                Comp::NAMES.trim_start_matches("url, ")
            ))
        })?;
    if sets.iter().any(|set| set.comp == comp) {
        return Err(fail(format!("{name} is also given to --set")));
    }
    values
        .split(' ')
        .map(|value| {
            edit::check_value(comp, value).map_err(fail)?;
            Ok(Set {
                comp,
                mode,
                value: value.to_string(),
            })
        })
        .collect()
}
