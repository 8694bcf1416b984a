#![allow(clippy::print_stdout)]
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let text = std::fs::read_to_string(&path).expect("read");
    let file = txlint::source::SourceFile::new(&path, text);
    let parsed = txlint::parse::parse(&file).expect("parse");
    let m = txlint::semantic::FileModel::build(&file, &parsed, Default::default());
    println!("{}", m.dump());
    for d in txlint::lint_file(&file, &txlint::rules::RuleSet::all(), &Default::default()) {
        let lc = file.line_col(d.range.start);
        println!("{}:{}: {} [{}] {}", lc.line, lc.column, d.severity, d.rule, d.message);
        for l in &d.labels { let lc = file.line_col(l.range.start); println!("    label {}:{} {}", lc.line, lc.column, l.message); }
        if let Some(h) = &d.help { println!("    help: {h}"); }
    }
}
