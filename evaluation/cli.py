"""The headless interface, ``python -m evaluation`` (contract: docs/spec/cli.md).

Exit status: 0 success; 1 the input was refused; 2 wrong usage. Errors are translated into
sentences here, in one place; nothing below this module prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from evaluation import __version__
from evaluation.errors import EvaluationError, PackageRefused, ProfileError, StoreError
from evaluation.progress import ConsoleProgress
from evaluation.store.database import Store, default_db_path
from evaluation.store.lease import open_waiting
from evaluation.store.schema import REQUIRED_TABLES, TABLES

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
REPO_ROOT = Path(__file__).resolve().parents[1]


def _tables_help() -> str:
    lines = ["tables of the package (format v1; * = required):"]
    for t in TABLES:
        star = "*" if t.name in REQUIRED_TABLES else " "
        cols = ", ".join(c.name + ("" if c.required else "?") for c in t.columns)
        lines.append(f"  {star} {t.name:<15} {cols}")
    lines.append("  (? = optional column; see docs/data-format.md for every rule)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Evaluation reporting for exit work: load programme data packages, "
        "validate them, and keep them in an embedded store.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=None,
        help="store file (default: $EVALUATION_DB, else data/evaluation.duckdb)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", parents=[common], help="create an empty store (idempotent)")

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="generate the fictional demo organisations' packages and load them",
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--scale",
        choices=["demo", "large"],
        default="demo",
        help="large: ~500 programmes, 100 000 cases, 10 million contacts",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the packages (default: data/demo, or data/demo-large)",
    )

    epilog = _tables_help()
    ingest = sub.add_parser(
        "ingest",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="validate and load a package (.xlsx, folder of CSVs, or .zip)",
    )
    ingest.add_argument("package", type=Path)
    ingest.add_argument(
        "--profile", default=None, help="mapping profile: a shipped name or a .yaml file"
    )
    ingest.add_argument(
        "--problems",
        type=Path,
        default=None,
        help="also write the problem list to this .xlsx or .csv file",
    )

    check = sub.add_parser(
        "check",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="validate a package without loading it",
    )
    check.add_argument("package", type=Path)
    check.add_argument("--profile", default=None)
    check.add_argument(
        "--problems",
        type=Path,
        default=None,
        help="write the problem list to this .xlsx or .csv file",
    )

    template = sub.add_parser("template", help="write the blank template workbook")
    template.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")

    docs = sub.add_parser("docs", help="regenerate the generated documentation")
    docs.add_argument(
        "--check", action="store_true", help="only report stale files (exit 1 when any is stale)"
    )

    ind = sub.add_parser(
        "indicators",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="compute the indicator catalogue for periods, splits and programmes",
        epilog="SPEC: comma-separated periods: 2025, 2025-Q2, 2025-H1, 2025-03, FY2025-04 "
        "(financial year from 1 April 2025), 2025-04-01..2026-03-31.\n"
        "Output: CSV on stdout, or --out FILE.csv / .parquet / .json.",
    )
    ind.add_argument("--period", required=True, metavar="SPEC")
    ind.add_argument(
        "--by",
        default="",
        metavar="COL[,COL]",
        help="split by programme, organisation, country, intervention_type, "
        "setting or a case column (gender, age_band, referral_source, …)",
    )
    ind.add_argument("--programme", default="", metavar="ID[,ID]")
    ind.add_argument(
        "--indicator",
        default="",
        metavar="ID[,ID]",
        help="e.g. C04 (newest version) or C04@1; default: the whole catalogue",
    )
    ind.add_argument(
        "--audience",
        choices=["internal", "shared"],
        default="internal",
        help="shared: for anything leaving the organisation, read from approved releases "
        "(columns release and approved_at; exit 1 naming what no release covers)",
    )
    ind.add_argument("--out", type=Path, default=None)
    ind.add_argument(
        "--catalogue",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of your own indicator files, added to the catalogue",
    )
    ind.add_argument("--explain", action="store_true", help="print the SQL instead of computing")

    cat = sub.add_parser("catalogue", help="show indicator definitions, or check a folder")
    cat.add_argument("indicator", nargs="?", help="e.g. C06 or C06@1; omitted: list all")
    cat.add_argument("--catalogue", type=Path, action="append", default=[], metavar="DIR")

    rep = sub.add_parser(
        "report",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write a funder-ready report pack (XLSX, DOCX, HTML, PDF)",
        epilog="Examples:\n"
        "  report --programme P-001 --period FY2025-04 --template ministry-annual "
        "--out reports/\n"
        "  report --all --period 2025-Q2 --template municipality-quarterly --out q2/ "
        "--formats xlsx\n"
        "Templates: `python -m evaluation templates` lists them.",
    )
    who = rep.add_mutually_exclusive_group(required=True)
    who.add_argument("--programme", default="", metavar="ID[,ID]")
    who.add_argument(
        "--all", action="store_true", help="every programme in the store (the batch form)"
    )
    rep.add_argument("--period", required=True, metavar="SPEC")
    rep.add_argument(
        "--template", default=None, metavar="NAME", help="a template id (default: standard)"
    )
    rep.add_argument("--out", type=Path, required=True, metavar="DIR")
    rep.add_argument(
        "--formats",
        default="",
        metavar="xlsx,docx,html,pdf",
        help="default: the formats the template asks for",
    )
    rep.add_argument(
        "--templates",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of your own report templates, added to the shipped ones",
    )
    rep.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes writing files in the batch form (default: the cores)",
    )

    tpl = sub.add_parser("templates", help="list the report templates, or check a folder")
    tpl.add_argument("--templates", type=Path, action="append", default=[], metavar="DIR")

    serve = sub.add_parser("serve", parents=[common], help="start the dashboard")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="demonstration mode: load the demo data if the store is empty",
    )

    _users_parser(sub, common)
    _releases_parser(sub, common)
    _returns_parser(sub, common)
    _operations_parser(sub, common)
    return parser


def _roles_help() -> str:
    from evaluation.vocabulary.roles import ROLES

    lines = ["roles:"]
    lines += [f"  {r.id:<12} {r.doc}" for r in ROLES.values()]
    lines.append("scope: organisation names or programme ids; an administrator sees everything")
    return "\n".join(lines)


def _users_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from evaluation.vocabulary.roles import ROLES

    epilog = _roles_help()
    users = sub.add_parser(
        "users",
        help="manage local accounts (who may sign in to the dashboard, with which role and scope)",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="add a user, or change the role, scope (and password) of an existing one",
    )
    add.add_argument("name", help="1-64 characters: letters, digits and . _ @ -")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument(
        "--scope",
        default="",
        metavar="ID[,ID]",
        help="organisation names or programme ids the user may see",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead "
        "of asking for it (for an existing user, an empty line keeps it)",
    )
    add.add_argument(
        "--no-password",
        action="store_true",
        help="an account without a password, which signs in only through the identity "
        "provider (single sign-on; the user name is the e-mail address the provider sends)",
    )
    actions.add_parser(
        "list", parents=[common], help="list the users with role and scope (never passwords)"
    )
    remove = actions.add_parser("remove", parents=[common], help="remove a user")
    remove.add_argument("name")

    audit = sub.add_parser(
        "audit",
        parents=[common],
        help="print or export the audit trail (sign-ins, uploads, approvals, shared reads)",
    )
    audit.add_argument(
        "--since", type=_date, default=None, metavar="DATE", help="from this day on (YYYY-MM-DD)"
    )
    audit.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="write it to FILE (.csv, .xlsx or .json) instead of printing it",
    )


def _date(text: str):  # -> datetime.date, for argparse
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _report_problems(exc: PackageRefused, problems_out: Path | None) -> None:
    report = exc.report
    if report is None:
        print(str(exc), file=sys.stderr)
        return
    from evaluation.intake.problems import ValidationReport

    assert isinstance(report, ValidationReport)
    _print_report(report)
    if problems_out:
        from evaluation.views.spreadsheet import write_problem_list

        write_problem_list(report, problems_out)
        print(f"The problem list is in {problems_out}.", file=sys.stderr)


def _print_report(report: object) -> None:
    from evaluation.intake.problems import ValidationReport

    assert isinstance(report, ValidationReport)
    print(report.summary(), file=sys.stderr)
    for table, problems in report.grouped().items():
        print(f"\n{table}:", file=sys.stderr)
        for p in problems:
            mark = "ERROR  " if p.severity == "error" else "warning"
            print(f"  {mark} {p.sentence()}", file=sys.stderr)
    if not report.ok:
        print("\nNothing was loaded. Fix the problems above and try again.", file=sys.stderr)


def cmd_init(args: argparse.Namespace) -> int:
    path = args.db or default_db_path()
    with _open(path) as store:
        print(f"The store {path} is ready (schema version {store.schema_version}).")
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from evaluation.intake.ingest import ingest

    progress = ConsoleProgress()
    with _open(args.db) as store:
        try:
            result = ingest(args.package, store, profile=args.profile, progress=progress)
        except PackageRefused as exc:
            progress.done()
            _report_problems(exc, args.problems)
            return EXIT_REFUSED
    progress.done()
    for p in result.report.warnings:
        print(f"warning: {p.sentence()}", file=sys.stderr)
    print(result.sentence())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from evaluation.intake.ingest import check_package

    progress = ConsoleProgress()
    store = _store_to_check_against(args.db)
    try:
        report = check_package(args.package, profile=args.profile, progress=progress, store=store)
    finally:
        if store is not None:
            store.close()
    progress.done()
    _print_report(report)
    if args.problems:
        from evaluation.views.spreadsheet import write_problem_list

        write_problem_list(report, args.problems)
        print(f"The problem list is in {args.problems}.", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_REFUSED


def _open(db: Path | str | None, *, read_only: bool = False) -> Store:
    """The store, waiting (and saying so on stderr) while the dashboard or another command
    uses it: the dashboard lets go when asked (``store.lease``)."""
    return open_waiting(db, read_only=read_only, say=lambda text: print(text, file=sys.stderr))


def _store_to_check_against(db: Path | None) -> Store | None:
    """The store a checked package would be loaded into, read-only, so the check also says
    what the load would refuse (older data, a programme of another organisation); ``None``
    (with a note) when there is no store yet or it is in use by a program that writes."""
    path = Path(db) if db else default_db_path()
    if not path.exists():
        return None
    try:
        return open_waiting(path, read_only=True, wait_seconds=10)
    except StoreError as exc:
        print(f"Checked the package alone, not against the store: {exc}", file=sys.stderr)
        return None


def cmd_demo(args: argparse.Namespace) -> int:
    from evaluation.demo.load import load_demo

    progress = ConsoleProgress()
    out = args.out or Path("data") / ("demo" if args.scale == "demo" else "demo-large")
    with _open(args.db) as store:
        results = load_demo(store, out, seed=args.seed, scale=args.scale, progress=progress)
    progress.done()
    loaded = sum(r.status == "loaded" for r in results)
    print(
        f"Demo packages written to {out}; {loaded} loaded, {len(results) - loaded} already loaded."
    )
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from evaluation.intake.template import write_template

    if args.out.suffix.lower() != ".xlsx":
        print(
            "The template is an Excel workbook: give a file name ending in .xlsx.", file=sys.stderr
        )
        return EXIT_USAGE
    write_template(args.out)
    print(f"Wrote the blank template workbook to {args.out}.")
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from evaluation.store.dictionary import stale_docs, write_docs

    if args.check:
        stale = stale_docs(REPO_ROOT)
        for p in stale:
            print(f"{p} is out of date; run `python -m evaluation docs`.", file=sys.stderr)
        return EXIT_REFUSED if stale else EXIT_OK
    for p in write_docs(REPO_ROOT):
        print(f"Wrote {p}.")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    db = Path(args.db or default_db_path()).resolve()
    env = dict(os.environ, EVALUATION_DB=str(db))
    if args.demo:
        env["EVALUATION_DEMO"] = "1"
        with _open(db) as store:
            empty = not store.submissions()
            if empty:
                from evaluation.demo.load import load_demo

                progress = ConsoleProgress()
                print("Loading the demo data into the store (first start only)…", file=sys.stderr)
                load_demo(store, db.parent / "demo", seed=7, scale="demo", progress=progress)
                progress.done()
    else:
        env.pop("EVALUATION_DEMO", None)  # real mode: sign-in, whatever the shell says
        from evaluation.store.users import list_users

        with _open(db) as store:
            if not any(not u.disabled for u in list_users(store)):
                print(
                    "No one can sign in yet: add a user first, e.g. `python -m evaluation "
                    "users add NAME --role admin`.",
                    file=sys.stderr,
                )
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / "streamlit_app.py"),
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    print(f"Opening the dashboard on http://localhost:{args.port}", file=sys.stderr)
    os.execvpe(cmd[0], cmd, env)
    return EXIT_OK  # pragma: no cover


def _read_password(args: argparse.Namespace, existing: bool) -> str | None:
    """The new password, or None to keep the existing one (an empty answer)."""
    from evaluation.store.users import UserError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        keep = " (empty: keep the current one)" if existing else ""
        password = getpass.getpass(f"Password for {args.name}{keep}: ")
        if password and getpass.getpass("The same password again: ") != password:
            raise UserError("The two passwords differ; nothing was changed.")
    if not password:
        if existing:
            return None
        raise UserError(
            "A new user needs a password of at least 10 characters; nothing was changed."
        )
    return password


def cmd_users(args: argparse.Namespace) -> int:
    """List, add, change or remove accounts, as the store's local operator (``users.OPERATOR``):
    whoever can run this command can change the store file itself."""
    from evaluation.store import users

    with _open(args.db) as store:
        if args.users_command == "list":
            listed = users.list_users(store)
            print("name\trole\tscope\tstatus")
            for u in listed:
                shown = "*" if u.role == "admin" else ",".join(u.scope)
                print(f"{u.name}\t{u.role}\t{shown}\t{'disabled' if u.disabled else 'active'}")
            if not listed:
                print(
                    "There are no users yet: add one with `python -m evaluation users add "
                    "NAME --role admin`.",
                    file=sys.stderr,
                )
            return EXIT_OK
        if args.users_command == "remove":
            users.remove_user(store, args.name, actor=users.OPERATOR)
            print(f"Removed the user {args.name}.")
            return EXIT_OK
        name = users.check_name(args.name)
        scope = _split(args.scope)
        users.clean_scope(scope)
        existing = users.get_user(store, name) is not None
        password = None if args.no_password else _read_password(args, existing)
        user = users.add_user(
            store,
            name,
            args.role,
            scope,
            password,
            actor=users.OPERATOR,
            allow_no_password=args.no_password,
        )
        for unknown in users.unknown_scope_ids(store, user.scope):
            print(
                f"warning: {unknown} is not an organisation or programme in this store yet.",
                file=sys.stderr,
            )
        if user.role == "admin" and user.scope:
            print(
                "warning: an administrator sees everything; the scope has no effect.",
                file=sys.stderr,
            )
        for sentence in users.look_alike_warnings(store, user):
            print(f"warning: {sentence}", file=sys.stderr)
        print(
            f"{'Updated' if existing else 'Added'} the user {user.name} "
            f"({users.ROLES[user.role].title})."
        )
    return EXIT_OK


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _catalogue(extra: list[Path]):
    from evaluation.measures.catalogue import CATALOGUE_DIR, load_catalogue

    return load_catalogue(CATALOGUE_DIR, *extra)


def cmd_indicators(args: argparse.Namespace) -> int:
    from evaluation.measures.engine import IndicatorRequest, compute, explain
    from evaluation.periods import parse_periods

    catalogue = _catalogue(args.catalogue)
    request = IndicatorRequest(
        periods=tuple(parse_periods(args.period)),
        indicators=_split(args.indicator),
        split_by=_split(args.by),
        programmes=_split(args.programme),
        audience=args.audience,
    )
    if args.out is not None and args.out.suffix.lower() not in (".csv", ".parquet", ".json"):
        print("--out must end in .csv, .parquet or .json.", file=sys.stderr)
        return EXIT_USAGE
    with _open(args.db, read_only=True) as store:
        if args.explain:
            print(explain(store, request, catalogue))
            return EXIT_OK
        result = compute(store, request, catalogue)
    if request.effective_audience == "shared":  # on record before anything is written
        _record_shared_read(
            args.db,
            result["release"],
            f"file:{args.out.name}" if args.out is not None else "cli:indicators",
            {"command": "indicators", "period": args.period, "indicator": args.indicator or ""},
        )
    from evaluation.views.spreadsheet import safe_frame

    if args.out is None:
        safe_frame(result).to_csv(sys.stdout, index=False)
        return EXIT_OK
    suffix = args.out.suffix.lower()
    if suffix == ".csv":
        safe_frame(result).to_csv(args.out, index=False)
    elif suffix == ".parquet":
        result.to_parquet(args.out, index=False)
    else:
        result.to_json(args.out, orient="records", date_format="iso", indent=1)
    print(f"Wrote {len(result):,} rows to {args.out}.", file=sys.stderr)
    return EXIT_OK


def cmd_catalogue(args: argparse.Namespace) -> int:
    catalogue = _catalogue(args.catalogue)
    if not args.indicator:
        for ind in catalogue.latest():
            print(f"{ind.id}@{ind.version}  {ind.name} ({ind.kind}, {ind.unit})")
        return EXIT_OK
    try:
        ind = catalogue.get(args.indicator)
    except KeyError:
        print(f"There is no indicator {args.indicator}.", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{ind.id}@{ind.version} — {ind.name}\n")
    print(
        f"kind: {ind.kind}; unit: {ind.unit}; {ind.direction} is better"
        if ind.direction != "neutral"
        else f"kind: {ind.kind}; unit: {ind.unit}"
    )
    print(f"sources: {', '.join(ind.sources)}\n\n{ind.definition}")
    for c in ind.caveats:
        print(f"\ncaveat: {c}")
    versions = [f"{v.id}@{v.version}" for v in catalogue.versions(ind.id)]
    if len(versions) > 1:
        print(f"\nversions: {', '.join(versions)}")
    return EXIT_OK


def _templates(extra: list[Path]):
    from evaluation.reports.spec import TEMPLATES_DIR, load_templates

    return load_templates(TEMPLATES_DIR, *extra)


def cmd_templates(args: argparse.Namespace) -> int:
    templates = _templates(args.templates)
    for t in templates:
        print(
            f"{t.id:<24} {t.period.describe():<40} {','.join(t.formats):<20} {t.title} "
            f"({t.funder.name})"
        )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from evaluation.periods import parse_periods
    from evaluation.reports.pack import check_formats, write_packs

    templates = _templates(args.templates)
    template = templates.get(args.template)
    formats = check_formats(template, _split(args.formats))
    periods = parse_periods(args.period)
    programmes = None if args.all else _split(args.programme)
    if programmes is not None and not programmes:
        print("Name a programme (--programme ID) or ask for all (--all).", file=sys.stderr)
        return EXIT_USAGE
    progress = ConsoleProgress()
    written: list[Path] = []
    with _open(args.db, read_only=True) as store:
        for period in periods:
            out = args.out / period.spec if len(periods) > 1 else args.out
            written += write_packs(
                store,
                template,
                period,
                out,
                programmes=programmes,
                formats=formats,
                progress=progress,
                workers=args.workers,
                catalogue=_catalogue([]),
            )
    progress.done()
    if not written:
        print("There are no programmes in the store to report on.", file=sys.stderr)
        return EXIT_REFUSED
    if template.audience == "shared":
        _record_report_read(args.db, template, periods, programmes, args.out)
    print(f"Wrote {len(written)} files to {args.out}.", file=sys.stderr)
    for path in written[:20]:
        print(path)
    if len(written) > 20:
        print(f"… and {len(written) - 20} more.")
    return EXIT_OK


def _record_shared_read(
    db: Path | None, releases: Iterable[object], target: str, detail: dict[str, object]
) -> None:
    """Put the operator's read of shared figures on the audit trail (``shared_read``, actor
    ``cli``, no role), one row per release, as the dashboard does for a funder's page."""
    from evaluation.sharing import audit
    from evaluation.store.users import OPERATOR

    numbers = sorted({int(r) for r in releases if r is not None and r == r})  # type: ignore[call-overload]
    if not numbers:
        return
    with _open(db) as store:
        for number in numbers:
            audit.record(
                store,
                actor=OPERATOR.name,
                role=None,
                action="shared_read",
                release=number,
                target=target,
                detail=detail,
            )


def _record_report_read(
    db: Path | None, template, periods, programmes: Sequence[str] | None, out: Path
) -> None:
    """The releases a shared report pack was read from (the newest active release of each
    programme and period it shows, as ``released`` serves them), on the audit trail."""
    from evaluation.reports.model import choose_programmes, trend_periods
    from evaluation.sharing.releases.read import coverage
    from evaluation.store.access import Scope

    with _open(db, read_only=True) as store:
        cur = store.cursor()
        ids = list(choose_programmes(cur, Scope.everything(), programmes)["programme_id"])
        shown = [q for p in periods for q in (p, p.previous(), *trend_periods(template, p))]
        releases = list(coverage(cur, ids, list(dict.fromkeys(shown)))["release"])
    _record_shared_read(
        db,
        releases,
        f"file:{out.name}",
        {"command": "report", "template": template.id, "period": ",".join(p.spec for p in periods)},
    )


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit trail, as the store's local operator (who may read all of it), printed one
    event per line or exported (``evaluation.sharing.audit``)."""
    from evaluation.sharing import audit

    with _open(args.db) as store:
        if args.out:
            audit.export_audit(store, args.out, args.since, reader=None)
            print(f"The audit trail is in {args.out}.")
            return EXIT_OK
        frame = audit.read_audit(store, args.since, reader=None)
    print("when (UTC)\tactor\trole\taction\torganisations\trelease\ttarget\tdetail")
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        cells = [
            f"{row['happened_at']:%Y-%m-%d %H:%M:%S}",
            row["actor"],
            row["role"] or "",
            row["action"],
            row["organisations"],
            "" if row["release"] is None else str(row["release"]),
            row["target"] or "",
            row["detail"] or "",
        ]
        print("\t".join(str(c).replace("\t", " ").replace("\n", " ") for c in cells))
    if frame.empty:
        print("The audit trail has no events" + (f" since {args.since}." if args.since else "."))
    return EXIT_OK


def _releases_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    approve = sub.add_parser(
        "approve",
        parents=[common],
        help="approve figures for sharing: create a release (prints its number)",
        epilog="A release holds every indicator, unsplit and split by each case column, for "
        "the programmes (of one organisation) and periods, protected together with every "
        "earlier release of those programmes. SPEC as for `indicators`.",
    )
    approve.add_argument("--programme", required=True, metavar="ID[,ID]")
    approve.add_argument("--period", required=True, metavar="SPEC")
    approve.add_argument("--note", default="", metavar="TEXT")
    listing = sub.add_parser("releases", parents=[common], help="list the releases")
    listing.add_argument("--programme", default=None, metavar="ID")
    withdraw = sub.add_parser(
        "withdraw",
        parents=[common],
        help="withdraw a release (it stops being served; its figures stay published)",
    )
    withdraw.add_argument("number", type=int, metavar="N")


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve as the store's local operator (``users.OPERATOR``)."""
    from evaluation.periods import parse_periods
    from evaluation.sharing.releases import approve
    from evaluation.store.users import OPERATOR

    periods = parse_periods(args.period)
    progress = ConsoleProgress()
    with _open(args.db) as store:
        release = approve(
            store,
            _split(args.programme),
            periods,
            actor=OPERATOR,
            note=args.note,
            progress=progress,
        )
    progress.done()
    print(release.number)
    print(f"Approved {release.label} for {release.organisation}.", file=sys.stderr)
    return EXIT_OK


def cmd_releases(args: argparse.Namespace) -> int:
    from evaluation.sharing.releases import SHORT, list_releases

    with _open(args.db, read_only=True) as store:
        found = list_releases(store, args.programme)
    if not found:
        print("There are no releases" + (f" of {args.programme}." if args.programme else "."))
        return EXIT_OK
    print("number\tprogrammes\tperiods\tdata\tcatalogue\tapproved_by\tapproved_at\tstatus")
    for r in found:
        data = ",".join(f"{d.programme_id}:{d.content_hash[:SHORT]}" for d in r.data)
        print(
            f"{r.number}\t{','.join(r.programmes)}\t{'; '.join(p.label for p in r.periods)}\t"
            f"{data}\t{r.catalogue_version[:SHORT]}\t{r.approved_by} ({r.approver_role})\t"
            f"{r.approved_at:%Y-%m-%d %H:%M} UTC\t{r.status}"
        )
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    from evaluation.sharing.releases import withdraw
    from evaluation.store.users import OPERATOR

    with _open(args.db) as store:
        release = withdraw(store, args.number, actor=OPERATOR)
    print(f"Withdrew {release.label}; its figures still count as published.")
    return EXIT_OK


def _returns_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    keys = sub.add_parser(
        "keys",
        help="signing keys: write an organisation's public key, trust a sender's, list them",
        epilog="Each organisation of a store signs its returns with its own key, made at first "
        "use and kept beside the store (<db>.keys/, never in the database or a return). A "
        "funder trusts a sender's public key file after comparing its fingerprint by phone.",
    )
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", parents=[common], help="write an organisation's public key file"
    )
    export.add_argument(
        "--organisation", required=True, metavar="NAME", help="as in the package's about.csv"
    )
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    trust = actions.add_parser(
        "trust", parents=[common], help="register a sender's public key file in this store"
    )
    trust.add_argument("file", type=Path, metavar="FILE")
    actions.add_parser(
        "list", parents=[common], help="list this store's own keys and the keys it trusts"
    )
    ret = sub.add_parser(
        "export-return",
        parents=[common],
        help="write a signed return of the newest release covering the programmes and periods",
        epilog="The file's suffix chooses the form: .xlsx (a workbook a funder reads without "
        "the platform), .json (the same content and signature), .xml (ADX for DHIS2; not "
        "signed). SPEC as for `indicators`.",
    )
    ret.add_argument("--programme", required=True, metavar="ID[,ID]")
    ret.add_argument("--period", required=True, metavar="SPEC")
    ret.add_argument("--out", required=True, type=Path, metavar="FILE")
    imp = sub.add_parser(
        "import-return",
        parents=[common],
        help="verify a signed return (.xlsx or .json) and load it into this funder's store",
    )
    imp.add_argument("file", type=Path, metavar="FILE")


def cmd_keys(args: argparse.Namespace) -> int:
    """Keys as the store's local operator: ``export`` prints the fingerprint to read out,
    ``trust`` what was registered, ``list`` own and trusted keys."""
    from evaluation.sharing import returns
    from evaluation.store.users import OPERATOR

    if args.keys_action == "export":
        with _open(args.db) as store:
            key = returns.export_public_key(store, args.organisation, args.out)
        print(key.fingerprint)
        print(
            f"Wrote the public key of {key.organisation} to {args.out}. Send it to the funder "
            "and read them this fingerprint by phone.",
            file=sys.stderr,
        )
        return EXIT_OK
    if args.keys_action == "trust":
        with _open(args.db) as store:
            result = returns.trust(store, args.file, actor=OPERATOR.name)
        print(result.sentence())
        return EXIT_OK
    with _open(args.db) as store:
        own = returns.own_keys(store)
        trusted = returns.trusted_keys(store)
    if not own and not trusted:
        print("This store has no keys yet: `keys export` makes one, `keys trust` registers one.")
        return EXIT_OK
    print("kind\torganisation\tfingerprint\ttrusted_at\ttrusted_by")
    for k in own:
        print(f"own\t{k.organisation}\t{k.fingerprint}\t\t")
    for t in trusted:
        print(
            f"trusted\t{t.organisation}\t{t.fingerprint}\t{t.trusted_at:%Y-%m-%d %H:%M} UTC\t"
            f"{t.trusted_by}"
        )
    return EXIT_OK


def cmd_export_return(args: argparse.Namespace) -> int:
    from evaluation.periods import parse_periods
    from evaluation.sharing.returns import export_return
    from evaluation.store.users import OPERATOR

    periods = parse_periods(args.period)
    with _open(args.db) as store:
        result = export_return(
            store, _split(args.programme), periods, args.out, actor=OPERATOR.name
        )
    print(result.sentence())
    return EXIT_OK


def cmd_import_return(args: argparse.Namespace) -> int:
    from evaluation.sharing.returns import import_return
    from evaluation.store.users import OPERATOR

    with _open(args.db) as store:
        result = import_return(store, args.file, actor=OPERATOR.name)
    print(result.sentence())
    return EXIT_OK


def _operations_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup",
        parents=[common],
        help="write a consistent copy of the store, its secret and keys to one .zip file",
        epilog="Works while the dashboard runs. The .zip holds the store's secret: keep it "
        "where only the store's operators can read it (docs/operations.md).",
    )
    backup.add_argument("--out", required=True, type=Path, metavar="FILE.zip")
    restore = sub.add_parser(
        "restore",
        parents=[common],
        help="put the store in a backup .zip back in place (checked before anything changes)",
        epilog="Refuses when a store is already there unless --replace is given; the "
        "replaced store is then kept as <db>.before-restore-<date and time>.",
    )
    restore.add_argument("file", type=Path, metavar="FILE.zip")
    restore.add_argument(
        "--replace", action="store_true", help="replace the store that is there (kept beside it)"
    )


def cmd_backup(args: argparse.Namespace) -> int:
    from evaluation.store.backup import backup

    with _open(args.db, read_only=True) as store:
        result = backup(store, args.out)
    print(result.sentence())
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from evaluation.store.backup import restore

    result = restore(
        args.file,
        args.db or default_db_path(),
        replace=args.replace,
        say=lambda text: print(text, file=sys.stderr),
    )
    print(result.sentence())
    return EXIT_OK


STORAGE_OUTCOMES = {
    "ingest": "nothing was loaded",
    "demo": "nothing more was loaded",
    "approve": "no release was made",
    "withdraw": "the release was not withdrawn",
    "backup": "no backup was written",
    "restore": "nothing was restored",
    "import-return": "the return was not loaded",
}
"""What did not happen when the disk failed, per command (default: nothing was changed)."""


COMMANDS = {
    "init": cmd_init,
    "ingest": cmd_ingest,
    "check": cmd_check,
    "demo": cmd_demo,
    "template": cmd_template,
    "docs": cmd_docs,
    "serve": cmd_serve,
    "indicators": cmd_indicators,
    "catalogue": cmd_catalogue,
    "users": cmd_users,
    "report": cmd_report,
    "templates": cmd_templates,
    "approve": cmd_approve,
    "releases": cmd_releases,
    "withdraw": cmd_withdraw,
    "audit": cmd_audit,
    "keys": cmd_keys,
    "export-return": cmd_export_return,
    "import-return": cmd_import_return,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ProfileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except EvaluationError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("Stopped; nothing was changed.", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`)
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # a full disk, a read-only file system, a missing permission
        from evaluation.store.failures import storage_failure

        failure = storage_failure(
            exc,
            outcome=STORAGE_OUTCOMES.get(args.command, "nothing was changed"),
            store=Path(getattr(args, "db", None) or default_db_path()),
        )
        if failure is None:
            raise
        print(str(failure), file=sys.stderr)
        return EXIT_REFUSED
