//! Property tests: what is written is what is parsed, and any input parses
//! without panicking, with every span inside the text.

use proptest::prelude::*;

use crate::ast::{AssignOp, StmtKind};
use crate::{FileId, parse};

fn op() -> impl Strategy<Value = AssignOp> {
    proptest::sample::select(AssignOp::ALL.to_vec())
}

proptest! {
    #[test]
    fn assignments_round_trip(
        name in "[A-Za-z_][A-Za-z0-9_]{0,8}(:[a-z0-9][a-z0-9_-]{0,5}){0,2}",
        flag in proptest::option::of("[a-z][a-z0-9_]{0,6}"),
        op in op(),
        value in "[^\"\n\r\\\\$]{0,20}",
        left in "[ \t]{0,2}",
        right in "[ \t]{0,2}",
    ) {
        prop_assume!(!["_append", "_prepend", "_remove"].iter().any(|k| name.contains(k)));
        let flag_text = flag.as_ref().map(|f| format!("[{f}]")).unwrap_or_default();
        let text = format!("{name}{flag_text}{left}{}{right}\"{value}\"\n", op.as_str());
        let p = parse(FileId(0), &text);
        prop_assert!(p.errors.is_empty(), "{text:?}: {:?}", p.errors);
        prop_assert_eq!(p.ast.stmts.len(), 1);
        let StmtKind::Assign(a) = &p.ast.stmts[0].kind else { panic!("not an assignment: {text:?}") };
        prop_assert_eq!(&*a.var, name.as_str());
        prop_assert_eq!(a.flag.as_deref(), flag.as_deref());
        prop_assert_eq!(a.op, op);
        prop_assert_eq!(&*a.value, value.as_str());
        prop_assert_eq!(&text[a.value_span.start as usize..a.value_span.end as usize], value.as_str());
    }

    #[test]
    fn any_text_parses_with_spans_in_bounds(text in "(\\PC|[\n\\\\{}\"'#:=?+.\\[\\] ]){0,200}") {
        let p = parse(FileId(0), &text);
        for s in &p.ast.stmts {
            prop_assert!(text.get(s.span.start as usize..s.span.end as usize).is_some());
        }
        for e in &p.errors {
            let at = e.at();
            prop_assert!(text.get(at.offset()..at.offset() + at.len()).is_some(), "{e:?} in {text:?}");
        }
    }
}

/// BitBake's old `_append` spelling is found the way `name.find` finds it:
/// `_append` anywhere first, then `_prepend`, then `_remove`.
#[test]
fn the_old_override_spelling_is_named_by_keyword_order() {
    let found = |name: &str| {
        let p = parse(FileId(0), &format!("{name} = \"x\"\n"));
        p.errors.iter().find_map(|e| match e {
            crate::SyntaxError::OldOverrideSyntax { suggestion, keyword, at, .. } => Some((keyword.clone(), suggestion.clone(), at.offset())),
            _ => None,
        })
    };
    assert_eq!(found("CFLAGS_append"), Some(("append".into(), "CFLAGS:append".into(), 6)));
    assert_eq!(found("A_remove_prepend_append_x"), Some(("append".into(), "A_remove_prepend:append_x".into(), 16)));
    assert_eq!(found("A_remove_prepend"), Some(("prepend".into(), "A_remove:prepend".into(), 8)));
    assert_eq!(found("A_removed_b"), Some(("remove".into(), "A:removed_b".into(), 1)));
    assert_eq!(found("A_appendix"), Some(("append".into(), "A:appendix".into(), 1)));
    assert_eq!(found("A_apple_rem_pre"), None);
    assert_eq!(found("A__"), None);
}
