"""The headless interface, ``python -m evaluation`` (contract: docs/spec/cli.md).

Exit status: 0 success; 1 the input was refused; 2 wrong usage. Errors are translated into
sentences here, in one place; nothing below this module prints.

The command speaks the language of its ``--lang`` (``en``, ``de``), else of the environment
variable ``EVALUATION_LANGUAGE``, else of the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else
English (``C.UTF-8``, the usual locale of servers and CI, is English): ``command_language``. Every
sentence, help text and number it prints follows it, including argparse's own words and the
refusals raised deep in the store (translated where they are raised, in the command's language).
Tables on stdout (``users list``, ``releases``, ``audit``, ``keys list``, ``indicators``) keep
their column names and codes as they are: scripts read them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from evaluation import __version__
from evaluation.errors import EvaluationError, PackageRefused, ProfileError, StoreError
from evaluation.progress import ConsoleProgress
from evaluation.store.database import Store, default_db_path
from evaluation.store.lease import open_waiting
from evaluation.store.schema import REQUIRED_TABLES, TABLES
from evaluation.vocabulary import language, numbers
from evaluation.vocabulary.kinds import direction_name, kind_name
from evaluation.vocabulary.language import LANGUAGES, N_, _, n_

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
REPO_ROOT = Path(__file__).resolve().parents[1]
LANGUAGE_ENV = "EVALUATION_LANGUAGE"
"""The environment variable naming the language of the command line (``en``, ``de``)."""
LOCALE_ENV = ("LC_ALL", "LC_MESSAGES", "LANG")
"""The locale variables, in the order POSIX reads them for messages: the first set one wins."""


class LanguageError(ValueError):
    """``--lang`` or ``EVALUATION_LANGUAGE`` names a language the platform does not speak."""


def spoken(text: str) -> str | None:
    """The language of ``text`` (``de``, ``de_AT``, ``de-CH``, ``DE``) when the platform speaks
    it, else None."""
    base = text.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def command_language(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The language the command speaks: the ``--lang`` given before the command, else
    ``EVALUATION_LANGUAGE``, else the locale's (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the
    first one set), else English. A ``--lang`` or ``EVALUATION_LANGUAGE`` the platform does not
    speak raises ``LanguageError``; a locale it does not speak (``fr_FR``, ``C.UTF-8``) is
    English."""
    env = os.environ if environ is None else environ
    chosen = _lang_option(sys.argv[1:] if argv is None else argv)
    if chosen is not None:
        found = spoken(chosen)
        if found is None:
            raise LanguageError(_unknown_language("--lang", chosen))
        return found
    named = env.get(LANGUAGE_ENV, "").strip()
    if named:
        found = spoken(named)
        if found is None:
            raise LanguageError(_unknown_language(LANGUAGE_ENV, named))
        return found
    for variable in LOCALE_ENV:
        value = env.get(variable, "").strip()
        if value:
            return spoken(value) or language.DEFAULT
    return language.DEFAULT


def _lang_option(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` among the options before the command (``report --lang`` is the
    reports' own)."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--lang":
            return args[i + 1] if i + 1 < len(args) else ""
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):  # the command: what follows is its own
            return None
    return None


def _unknown_language(where: str, value: str) -> str:
    return _(
        "{where} names a language the platform does not speak: “{value}”. It speaks {known}.",
        where=where,
        value=value[:20],
        known=", ".join(LANGUAGES),
    )


def _language_option(text: str) -> str:
    found = spoken(text)
    if found is None:
        raise argparse.ArgumentTypeError(_unknown_language("--lang", text))
    return found


ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
)
"""argparse's own words a person reads (its usage line, section titles and refusals), in the
catalogue so they are translated like the platform's."""


@contextlib.contextmanager
def _argparse_speaks() -> Iterator[None]:
    """argparse's words in the language of the moment while the block runs: argparse looks up
    its module-level ``_`` (gettext) each time it words something, so it is pointed at the
    platform's translator for the block and given back afterwards."""
    before = argparse._  # type: ignore[attr-defined]
    argparse._ = language.translate  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = before  # type: ignore[attr-defined]


def _count(value: float) -> str:
    """A count in the language of the moment: ``1,234`` / ``1.234``."""
    return numbers.count(value, language.current())


def _tables_help() -> str:
    lines = [_("tables of the package (format v1; * = required):")]
    for t in TABLES:
        star = "*" if t.name in REQUIRED_TABLES else " "
        cols = ", ".join(c.name + ("" if c.required else "?") for c in t.columns)
        lines.append(f"  {star} {t.name:<15} {cols}")
    lines.append(_("  (? = optional column; see docs/data-format.md for every rule)"))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line, its help in the language of the moment (build it inside it)."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description=_(
            "Evaluation reporting for exit work: load programme data packages, "
            "validate them, and keep them in an embedded store."
        ),
        epilog=_(
            "--lang (or the environment variable {env}, else the locale) chooses the language "
            "of the messages: {known}.",
            env=LANGUAGE_ENV,
            known=", ".join(LANGUAGES),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument(
        "--lang",
        type=_language_option,
        default=None,
        metavar="LANG",
        help=_(
            "the language of the messages, before the command: {known} (default: ${env}, "
            "else the locale, else en)",
            known=", ".join(LANGUAGES),
            env=LANGUAGE_ENV,
        ),
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=None,
        help=_("store file (default: $EVALUATION_DB, else data/evaluation.duckdb)"),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", parents=[common], help=_("create an empty store (idempotent)"))

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help=_("generate the fictional demo organisations' packages and load them"),
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=7,
        help=_("another seed makes other fictional data (default: 7)"),
    )
    demo.add_argument(
        "--scale",
        choices=["demo", "large"],
        default="demo",
        help=_("large: ~500 programmes, 100 000 cases, 10 million contacts"),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help=_("where to write the packages (default: data/demo, or data/demo-large)"),
    )

    epilog = _tables_help()
    ingest = sub.add_parser(
        "ingest",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("validate and load a package (.xlsx, folder of CSVs, or .zip)"),
    )
    ingest.add_argument("package", type=Path)
    ingest.add_argument(
        "--profile", default=None, help=_("mapping profile: a shipped name or a .yaml file")
    )
    ingest.add_argument(
        "--problems",
        type=Path,
        default=None,
        help=_("also write the problem list to this .xlsx or .csv file"),
    )

    check = sub.add_parser(
        "check",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("validate a package without loading it"),
    )
    check.add_argument("package", type=Path)
    check.add_argument(
        "--profile", default=None, help=_("mapping profile: a shipped name or a .yaml file")
    )
    check.add_argument(
        "--problems",
        type=Path,
        default=None,
        help=_("write the problem list to this .xlsx or .csv file"),
    )

    template = sub.add_parser("template", help=_("write the blank template workbook"))
    template.add_argument("--out", type=Path, required=True, help=_("the .xlsx file to write"))

    docs = sub.add_parser("docs", help=_("regenerate the generated documentation"))
    docs.add_argument(
        "--check",
        action="store_true",
        help=_("only report stale files (exit 1 when any is stale)"),
    )

    ind = sub.add_parser(
        "indicators",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("compute the indicator catalogue for periods, splits and programmes"),
        epilog=_(
            "SPEC: comma-separated periods: 2025, 2025-Q2, 2025-H1, 2025-03, FY2025-04 "
            "(financial year from 1 April 2025), 2025-04-01..2026-03-31.\n"
            "Output: CSV on stdout, or --out FILE.csv / .parquet / .json."
        ),
    )
    ind.add_argument("--period", required=True, metavar="SPEC")
    ind.add_argument(
        "--by",
        default="",
        metavar="COL[,COL]",
        help=_(
            "split by programme, organisation, country, intervention_type, "
            "setting or a case column (gender, age_band, referral_source, …)"
        ),
    )
    ind.add_argument("--programme", default="", metavar="ID[,ID]")
    ind.add_argument(
        "--indicator",
        default="",
        metavar="ID[,ID]",
        help=_("e.g. C04 (newest version) or C04@1; default: the whole catalogue"),
    )
    ind.add_argument(
        "--audience",
        choices=["internal", "shared"],
        default="internal",
        help=_(
            "shared: for anything leaving the organisation, read from approved releases "
            "(columns release and approved_at; exit 1 naming what no release covers)"
        ),
    )
    ind.add_argument(
        "--out", type=Path, default=None, help=_("a .csv, .parquet or .json file (default: stdout)")
    )
    ind.add_argument(
        "--catalogue",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("a folder of your own indicator files, added to the catalogue"),
    )
    ind.add_argument("--explain", action="store_true", help=_("print the SQL instead of computing"))

    cat = sub.add_parser("catalogue", help=_("show indicator definitions, or check a folder"))
    cat.add_argument("indicator", nargs="?", help=_("e.g. C06 or C06@1; omitted: list all"))
    cat.add_argument(
        "--catalogue",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("a folder of your own indicator files, added to the catalogue"),
    )

    rep = sub.add_parser(
        "report",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("write a funder-ready report pack (XLSX, DOCX, HTML, PDF)"),
        epilog=_("Examples:")
        + "\n"
        + "  report --programme P-001 --period FY2025-04 --template ministry-annual "
        "--out reports/\n"
        "  report --all --period 2025-Q2 --template municipality-quarterly --out q2/ "
        "--formats xlsx\n" + _("Templates: `python -m evaluation templates` lists them."),
    )
    who = rep.add_mutually_exclusive_group(required=True)
    who.add_argument("--programme", default="", metavar="ID[,ID]")
    who.add_argument(
        "--all", action="store_true", help=_("every programme in the store (the batch form)")
    )
    rep.add_argument("--period", required=True, metavar="SPEC")
    rep.add_argument(
        "--template", default=None, metavar="NAME", help=_("a template id (default: standard)")
    )
    rep.add_argument("--out", type=Path, required=True, metavar="DIR")
    rep.add_argument(
        "--formats",
        default="",
        metavar="xlsx,docx,html,pdf",
        help=_("default: the formats the template asks for"),
    )
    rep.add_argument(
        "--templates",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("a folder of your own report templates, added to the shipped ones"),
    )
    rep.add_argument(
        "--workers",
        type=int,
        default=None,
        help=_("processes writing files in the batch form (default: the cores)"),
    )
    rep.add_argument(
        "--lang",
        dest="report_lang",
        default=None,
        metavar="LANG",
        help=_(
            "the language of the reports, e.g. de (default: the language of the messages, "
            "which --lang before the command chooses)"
        ),
    )

    tpl = sub.add_parser(
        "templates",
        parents=[common],
        help=_("list the report templates, or check a folder"),
        description=_(
            "Lists the report templates (the shipped ones and those of --templates folders; "
            "a folder with a faulty template is refused with every issue, file and line). "
            "When the store exists, each line also names the newest period the template can "
            "report on for the store's data, as `report --period` takes it."
        ),
    )
    tpl.add_argument(
        "--templates",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("a folder of your own report templates, added to the shipped ones"),
    )

    serve = sub.add_parser("serve", parents=[common], help=_("start the dashboard"))
    serve.add_argument(
        "--port",
        type=int,
        default=8501,
        help=_("the port the dashboard opens on: http://localhost:PORT (default: 8501)"),
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help=_("demonstration mode: load the demo data if the store is empty"),
    )

    _users_parser(sub, common)
    _releases_parser(sub, common)
    _returns_parser(sub, common)
    _operations_parser(sub, common)
    return parser


def _roles_help() -> str:
    from evaluation.vocabulary.roles import ROLES

    lines = [_("roles:")]
    lines += [f"  {r.id:<12} {_(r.doc)}" for r in ROLES.values()]
    lines.append(_("scope: organisation names or programme ids; an administrator sees everything"))
    return "\n".join(lines)


def _users_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from evaluation.vocabulary.roles import ROLES

    epilog = _roles_help()
    users = sub.add_parser(
        "users",
        help=_(
            "manage local accounts (who may sign in to the dashboard, with which role and scope)"
        ),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        parents=[common],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("add a user, or change the role, scope (and password) of an existing one"),
    )
    add.add_argument("name", help=_("1-64 characters: letters, digits and . _ @ -"))
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument(
        "--scope",
        default="",
        metavar="ID[,ID]",
        help=_("organisation names or programme ids the user may see"),
    )
    add.add_argument(
        "--language",
        default=None,
        metavar="LANG",
        help=_(
            "the language the user reads the dashboard in (en, de); they can change it "
            "themselves; an empty text forgets it (their browser's language is used)"
        ),
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help=_(
            "read the password from the first line of standard input instead "
            "of asking for it (for an existing user, an empty line keeps it)"
        ),
    )
    add.add_argument(
        "--no-password",
        action="store_true",
        help=_(
            "an account without a password, which signs in only through the identity "
            "provider (single sign-on; the user name is the e-mail address the provider sends)"
        ),
    )
    actions.add_parser(
        "list", parents=[common], help=_("list the users with role and scope (never passwords)")
    )
    remove = actions.add_parser("remove", parents=[common], help=_("remove a user"))
    remove.add_argument("name")

    audit = sub.add_parser(
        "audit",
        parents=[common],
        help=_("print or export the audit trail (sign-ins, uploads, approvals, shared reads)"),
    )
    audit.add_argument(
        "--since",
        type=_date,
        default=None,
        metavar="DATE",
        help=_("from this day on (YYYY-MM-DD)"),
    )
    audit.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help=_("write it to FILE (.csv, .xlsx or .json) instead of printing it"),
    )


def _date(text: str):  # -> datetime.date, for argparse
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a date (YYYY-MM-DD)", text=repr(text))
        ) from None


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
        print(_("The problem list is in {path}.", path=problems_out), file=sys.stderr)


def _print_report(report: object) -> None:
    from evaluation.intake.problems import ValidationReport

    assert isinstance(report, ValidationReport)
    print(report.summary(), file=sys.stderr)
    for step, problems in report.steps():  # in the order to fix them
        print(f"\n{step}:", file=sys.stderr)
        for p in problems:
            mark = _("ERROR  ") if p.severity == "error" else _("warning")
            print(f"  {mark} {p.sentence()}", file=sys.stderr)
    if not report.ok:
        print(
            "\n" + _("Nothing was loaded. Fix the problems above and try again."),
            file=sys.stderr,
        )


def cmd_init(args: argparse.Namespace) -> int:
    path = args.db or default_db_path()
    with _open(path) as store:
        print(
            _(
                "The store {path} is ready (schema version {version}).",
                path=path,
                version=store.schema_version,
            )
        )
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
        print(_("warning: {sentence}", sentence=p.sentence()), file=sys.stderr)
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
        print(_("The problem list is in {path}.", path=args.problems), file=sys.stderr)
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
        print(
            _("Checked the package alone, not against the store: {reason}", reason=exc),
            file=sys.stderr,
        )
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
        _(
            "Demo packages written to {out}; {loaded} loaded, {already} already loaded.",
            out=out,
            loaded=_count(loaded),
            already=_count(len(results) - loaded),
        )
    )
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from evaluation.intake.template import write_template

    if args.out.suffix.lower() != ".xlsx":
        print(
            _("The template is an Excel workbook: give a file name ending in .xlsx."),
            file=sys.stderr,
        )
        return EXIT_USAGE
    write_template(args.out)
    print(_("Wrote the blank template workbook to {path}.", path=args.out))
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from evaluation.store.dictionary import stale_docs, write_docs

    if args.check:
        stale = stale_docs(REPO_ROOT)
        for p in stale:
            print(
                _("{path} is out of date; run `python -m evaluation docs`.", path=p),
                file=sys.stderr,
            )
        return EXIT_REFUSED if stale else EXIT_OK
    for p in write_docs(REPO_ROOT):
        print(_("Wrote {path}.", path=p))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    db = Path(args.db or default_db_path()).resolve()
    env = dict(os.environ, EVALUATION_DB=str(db))
    if args.demo:
        env["EVALUATION_DEMO"] = "1"
        with _open(db) as store:
            empty = not store.submissions()
            if empty:
                from evaluation.demo.load import packages_note, start_demo

                progress = ConsoleProgress()
                print(
                    _("Loading the demo data into the store (first start only)…"),
                    file=sys.stderr,
                )
                start_demo(store, db.parent / "demo", progress=progress)
                progress.done()
                print(packages_note(db.parent / "demo"), file=sys.stderr)
    else:
        env.pop("EVALUATION_DEMO", None)  # real mode: sign-in, whatever the shell says
        from evaluation.store.users import list_users

        with _open(db) as store:
            if not any(not u.disabled for u in list_users(store)):
                print(
                    _(
                        "No one can sign in yet: add a user first, e.g. `python -m evaluation "
                        "users add NAME --role admin`."
                    ),
                    file=sys.stderr,
                )
    cmd = [
        sys.executable,
        "-m",
        "evaluation.app.server",  # `streamlit run`, the app's imports warmed as it starts
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
    print(
        _(
            "Opening the dashboard on http://localhost:{port} (stop it with Ctrl+C).",
            port=args.port,
        ),
        file=sys.stderr,
    )
    os.execvpe(cmd[0], cmd, env)
    return EXIT_OK  # pragma: no cover


def _read_password(args: argparse.Namespace, existing: bool) -> str | None:
    """The new password, or None to keep the existing one (an empty answer)."""
    from evaluation.store.users import UserError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        prompt = (
            _("Password for {name} (empty: keep the current one): ", name=args.name)
            if existing
            else _("Password for {name}: ", name=args.name)
        )
        password = getpass.getpass(prompt)
        if password and getpass.getpass(_("The same password again: ")) != password:
            raise UserError(_("The two passwords differ; nothing was changed."))
    if not password:
        if existing:
            return None
        raise UserError(
            _("A new user needs a password of at least 10 characters; nothing was changed.")
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
                    _(
                        "There are no users yet: add one with `python -m evaluation users add "
                        "NAME --role admin`."
                    ),
                    file=sys.stderr,
                )
            return EXIT_OK
        if args.users_command == "remove":
            users.remove_user(store, args.name, actor=users.OPERATOR)
            print(_("Removed the user {name}.", name=args.name))
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
            language=args.language,
        )
        for unknown in users.unknown_scope_ids(store, user.scope):
            print(
                _(
                    "warning: {id} is not an organisation or programme in this store yet.",
                    id=unknown,
                ),
                file=sys.stderr,
            )
        if user.role == "admin" and user.scope:
            print(
                _("warning: an administrator sees everything; the scope has no effect."),
                file=sys.stderr,
            )
        for sentence in users.look_alike_warnings(store, user):
            print(_("warning: {sentence}", sentence=sentence), file=sys.stderr)
        role = _(users.ROLES[user.role].title)
        print(
            _("Updated the user {name} ({role}).", name=user.name, role=role)
            if existing
            else _("Added the user {name} ({role}).", name=user.name, role=role)
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
        print(_("--out must end in .csv, .parquet or .json."), file=sys.stderr)
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
    print(
        n_(
            "Wrote {n} row to {path}.",
            "Wrote {n} rows to {path}.",
            len(result),
            n=_count(len(result)),
            path=args.out,
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_catalogue(args: argparse.Namespace) -> int:
    catalogue = _catalogue(args.catalogue)
    if not args.indicator:
        for ind in catalogue.latest():
            print(f"{ind.id}@{ind.version}  {_(ind.name)} ({kind_name(ind.kind)}, {_(ind.unit)})")
        return EXIT_OK
    try:
        ind = catalogue.get(args.indicator)
    except KeyError:
        print(_("There is no indicator {id}.", id=args.indicator), file=sys.stderr)
        return EXIT_REFUSED
    print(f"{ind.id}@{ind.version} — {_(ind.name)}\n")
    described = _("kind: {kind}; unit: {unit}", kind=kind_name(ind.kind), unit=_(ind.unit))
    if direction_name(ind.direction):
        described += "; " + direction_name(ind.direction)
    print(described)
    print(_("sources: {tables}", tables=", ".join(ind.sources)) + f"\n\n{_(ind.definition)}")
    for c in ind.caveats:
        print("\n" + _("caveat: {text}", text=_(c)))
    versions = [f"{v.id}@{v.version}" for v in catalogue.versions(ind.id)]
    if len(versions) > 1:
        print("\n" + _("versions: {versions}", versions=", ".join(versions)))
    return EXIT_OK


def _templates(extra: list[Path]):
    from evaluation.reports.spec import TEMPLATES_DIR, load_templates

    return load_templates(TEMPLATES_DIR, *extra)


def cmd_templates(args: argparse.Namespace) -> int:
    """The report templates, one a line: id, the periods it takes, formats, title and funder;
    with a store (``--db``, else the default store when there is one), also the newest period
    each can report on for the store's data (what ``report --period`` takes), or ``–`` when
    the data covers none yet. A ``--db`` that names no store is refused."""
    templates = _templates(args.templates)
    newest = _newest_periods(args.db, templates)
    for t in templates:
        line = (
            f"{t.id:<24} {t.period.describe():<40} {','.join(t.formats):<20} {_(t.title)} "
            f"({_(t.funder.name)})"
        )
        if newest is not None:
            line += "  " + _("newest period: {period}", period=newest.get(t.id) or "–")
        print(line)
    if newest == {}:
        print(
            _("The store has no programme data yet: load a package to report on."),
            file=sys.stderr,
        )
    return EXIT_OK


def _newest_periods(db: Path | None, templates) -> dict[str, str] | None:
    """Per template id, the newest period (its spec) the store's data covers for it; None
    without a store (none named and none at the default place); ``{}`` when it holds no
    programme data. The store is read as the local operator reads it: every programme."""
    from evaluation.reports.spec import period_choices
    from evaluation.store.access import Scope
    from evaluation.views.programmes import programmes_in_scope

    if db is None and not default_db_path().exists():
        return None
    with _open(db, read_only=True) as store:
        programmes = programmes_in_scope(store.cursor(), Scope.everything())
    dates = [d for d in programmes["data_as_of"] if d is not None and d == d]
    if not dates:
        return {}
    firsts = [d for d in programmes["first_date"] if d is not None and d == d]
    as_of, first = max(dates), (min(firsts) if firsts else None)
    newest: dict[str, str] = {}
    for t in templates:
        offered = period_choices(t, as_of, first)
        if offered:
            newest[t.id] = offered[0].spec
    return newest


def cmd_report(args: argparse.Namespace) -> int:
    if not args.formats or {"docx", "pdf"} & {f.lower() for f in _split(args.formats)}:
        # the chart workers' imports run in their fork server while this process imports
        from evaluation.reports.charts import start_chart_workers

        start_chart_workers()
    from evaluation.periods import parse_periods
    from evaluation.reports.pack import check_formats, write_packs

    templates = _templates(args.templates)
    template = templates.get(args.template)
    formats = check_formats(template, _split(args.formats))
    periods = parse_periods(args.period)
    programmes = None if args.all else _split(args.programme)
    if programmes is not None and not programmes:
        print(_("Name a programme (--programme ID) or ask for all (--all)."), file=sys.stderr)
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
                lang=_report_lang(args),
            )
    progress.done()
    if not written:
        print(_("There are no programmes in the store to report on."), file=sys.stderr)
        return EXIT_REFUSED
    if template.audience == "shared":
        _record_report_read(args.db, template, periods, programmes, args.out)
    print(
        n_(
            "Wrote {n} file to {path}.",
            "Wrote {n} files to {path}.",
            len(written),
            n=_count(len(written)),
            path=args.out,
        ),
        file=sys.stderr,
    )
    for path in written[:20]:
        print(path)
    if len(written) > 20:
        print(_("… and {n} more.", n=_count(len(written) - 20)))
    return EXIT_OK


def _report_lang(args: argparse.Namespace) -> str | None:
    """The language of ``report``: its ``--lang``, else the command line's own (if it has
    one), else the language of the moment (``write_packs`` refuses one it does not speak)."""
    return args.report_lang or getattr(args, "lang", None)


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
            print(_("The audit trail is in {path}.", path=args.out))
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
        print(
            _("The audit trail has no events since {day}.", day=args.since)
            if args.since
            else _("The audit trail has no events.")
        )
    return EXIT_OK


def _releases_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    approve = sub.add_parser(
        "approve",
        parents=[common],
        help=_("approve figures for sharing: create a release (prints its number)"),
        epilog=_(
            "A release holds every indicator, unsplit and split by each case column, for "
            "the programmes (of one organisation) and periods, protected together with every "
            "earlier release of those programmes. SPEC as for `indicators`."
        ),
    )
    approve.add_argument("--programme", required=True, metavar="ID[,ID]")
    approve.add_argument("--period", required=True, metavar="SPEC")
    approve.add_argument(
        "--note", default="", metavar="TEXT", help=_("a note kept with the release")
    )
    listing = sub.add_parser("releases", parents=[common], help=_("list the releases"))
    listing.add_argument(
        "--programme", default=None, metavar="ID", help=_("only the releases of this programme")
    )
    withdraw = sub.add_parser(
        "withdraw",
        parents=[common],
        help=_("withdraw a release (it stops being served; its figures stay published)"),
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
    print(
        _(
            "Approved {release} for {organisation}.",
            release=release.label,
            organisation=release.organisation,
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_releases(args: argparse.Namespace) -> int:
    from evaluation.sharing.releases import SHORT, list_releases

    with _open(args.db, read_only=True) as store:
        found = list_releases(store, args.programme)
    if not found:
        print(
            _("There are no releases of {programme}.", programme=args.programme)
            if args.programme
            else _("There are no releases.")
        )
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
    print(_("Withdrew {release}; its figures still count as published.", release=release.label))
    return EXIT_OK


def _returns_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    keys = sub.add_parser(
        "keys",
        help=_("signing keys: write an organisation's public key, trust a sender's, list them"),
        epilog=_(
            "Each organisation of a store signs its returns with its own key, made at first "
            "use and kept beside the store (<db>.keys/, never in the database or a return). A "
            "funder trusts a sender's public key file after comparing its fingerprint by phone."
        ),
    )
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", parents=[common], help=_("write an organisation's public key file")
    )
    export.add_argument(
        "--organisation", required=True, metavar="NAME", help=_("as in the package's about.csv")
    )
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    trust = actions.add_parser(
        "trust", parents=[common], help=_("register a sender's public key file in this store")
    )
    trust.add_argument("file", type=Path, metavar="FILE")
    actions.add_parser(
        "list", parents=[common], help=_("list this store's own keys and the keys it trusts")
    )
    ret = sub.add_parser(
        "export-return",
        parents=[common],
        help=_("write a signed return of the newest release covering the programmes and periods"),
        epilog=_(
            "The file's suffix chooses the form: .xlsx (a workbook a funder reads without "
            "the platform), .json (the same content and signature), .xml (ADX for DHIS2; not "
            "signed). SPEC as for `indicators`."
        ),
    )
    ret.add_argument("--programme", required=True, metavar="ID[,ID]")
    ret.add_argument("--period", required=True, metavar="SPEC")
    ret.add_argument("--out", required=True, type=Path, metavar="FILE")
    imp = sub.add_parser(
        "import-return",
        parents=[common],
        help=_("verify a signed return (.xlsx or .json) and load it into this funder's store"),
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
            _(
                "Wrote the public key of {organisation} to {path}. Send it to the funder "
                "and read them this fingerprint by phone.",
                organisation=key.organisation,
                path=args.out,
            ),
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
        print(_("This store has no keys yet: `keys export` makes one, `keys trust` registers one."))
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
        help=_("write a consistent copy of the store, its secret and keys to one .zip file"),
        epilog=_(
            "Works while the dashboard runs. The .zip holds the store's secret: keep it "
            "where only the store's operators can read it (docs/operations.md)."
        ),
    )
    backup.add_argument("--out", required=True, type=Path, metavar="FILE.zip")
    restore = sub.add_parser(
        "restore",
        parents=[common],
        help=_("put the store in a backup .zip back in place (checked before anything changes)"),
        epilog=_(
            "Refuses when a store is already there unless --replace is given; the "
            "replaced store is then kept as <db>.before-restore-<date and time>."
        ),
    )
    restore.add_argument("file", type=Path, metavar="FILE.zip")
    restore.add_argument(
        "--replace",
        action="store_true",
        help=_("replace the store that is there (kept beside it)"),
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
    "ingest": N_("nothing was loaded"),
    "demo": N_("nothing more was loaded"),
    "approve": N_("no release was made"),
    "withdraw": N_("the release was not withdrawn"),
    "backup": N_("no backup was written"),
    "restore": N_("nothing was restored"),
    "import-return": N_("the return was not loaded"),
}
"""What did not happen when the disk failed, per command (default: nothing was changed);
translated where the sentence is made."""
NOTHING_CHANGED = N_("nothing was changed")


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
    """Run one command in its language (``command_language``), which it speaks only while it
    runs: a test or a program calling ``main`` keeps its own."""
    try:
        lang = command_language(argv)
    except LanguageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    with language.using(lang), _argparse_speaks():
        return _run(build_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except ProfileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except EvaluationError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print(_("Stopped; nothing was changed."), file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`)
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # a full disk, a read-only file system, a missing permission
        from evaluation.store.failures import storage_failure

        failure = storage_failure(
            exc,
            outcome=_(STORAGE_OUTCOMES.get(args.command, NOTHING_CHANGED)),
            store=Path(getattr(args, "db", None) or default_db_path()),
        )
        if failure is None:
            raise
        print(str(failure), file=sys.stderr)
        return EXIT_REFUSED
