"""Hypothesis strategies for what a client can put in a gitbrag request: usernames, periods,
dates, query strings and headers, each mixing valid values (so the request gets deep into a
route) with hostile ones (so it meets every validation path): Unicode digits (``²`` passes
``str.isdigit`` and fails ``int``), control, bidi and noncharacter code points, long values."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from hypothesis import strategies as st

# Legacy logins (a trailing, double or leading hyphen), Enterprise Managed Users'
# ``handle_shortcode`` (an underscore), capitalised spellings (a 301 first).
VALID_LOGINS = (
    "octocat",
    "Octocat",
    "mixed-case-dev",
    "artur-",
    "gil--dev",
    "-jerry-",
    "-Jerry-",
    "octo_acme",
    "Octo_Acme",
    "_x",
    "a",
    "x" * 39,
    "_" * 38 + "a",
)
PERIOD_NAMES = ("1_year", "2_years", "5_years", "all_time")
# Characters that break naive parsing: separators, encodings, controls, non-ASCII, lookalikes.
NASTY = "-_.~%/?#&=+;:@!$'()*,[]{}<>\"\\|^` \t\x00\x7f\u00e9\u0131\u212a\u202e\ufeff\U0001f600"

# Unicode digits that ``str.isdigit`` accepts and ``int`` may not (superscripts, circled,
# mathematical, other scripts' decimals): the class that crashed ``width`` and ``page``.
UNICODE_DIGITS = (
    "\u00b2\u00b3\u00b9\u2070\u2074\u2460\u2469\u24ea\u2776"
    "\u0663\u06f5\u0967\uff11\U0001d7d9\U0001d7ec"
)
# Controls, bidi controls and noncharacters: what breaks XML, forges log lines, reorders text.
CONTROLS = (
    "\x00\x08\x0b\x1b\r\n\x7f\x85\x9b"
    "\u200e\u200f\u061c\u202a\u202e\u2066\u2069\ufffe\uffff\U000e0001"
)

unicode_digits = st.one_of(
    st.text(alphabet=st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=6),
    st.text(alphabet=st.sampled_from(list(UNICODE_DIGITS + "0123456789")), min_size=1, max_size=6),
)
controls = st.text(alphabet=st.sampled_from(list(CONTROLS) + list("ab1 ")), min_size=1, max_size=12)
short_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
# Long values: up to the query cap and past it, and past each parameter's length limit.
long_text = st.one_of(
    st.integers(min_value=100, max_value=5000).map(lambda n: "a" * n),
    st.text(alphabet=st.sampled_from(list("x1\u00e9\u202e\U0001f600")), min_size=200, max_size=900),
)
printable = st.one_of(short_text, controls, unicode_digits, long_text)
loginish = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", max_size=45
)

usernames = st.one_of(
    st.sampled_from(VALID_LOGINS),
    loginish,
    st.text(alphabet=st.sampled_from(list(NASTY) + list("abc123-")), max_size=50),
    printable,
)

periods = st.one_of(
    st.sampled_from(PERIOD_NAMES),
    st.sampled_from([p.upper() for p in PERIOD_NAMES] + [" 1_year ", "1_years", "0_years"]),
    printable,
)


def _iso(day: date) -> str:
    return day.isoformat()


dates = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(_iso),
    st.dates(min_value=date(2007, 12, 1), max_value=date.today() + timedelta(days=3)).map(_iso),
    st.sampled_from(["2024-02-30", "2024-13-01", "20240101", "2024-1-1", "today", "", "-1"]),
    st.sampled_from(
        ["\uff12\uff10\uff12\uff14-01-01", "2024-0\u00b9-01", "\u0662\u0660\u0662\u0664-01-01"]
    ),
    printable,
)

flags = st.one_of(
    st.sampled_from(["true", "false", "1", "0", "yes", "no", "on", "off", "", "TRUE", "maybe"]),
    printable,
)

numbers = st.one_of(
    st.integers(min_value=-10, max_value=10**12).map(str),
    st.sampled_from(
        ["1", "2", "0", "-1", "1e3", "0x10", "", " 1", "٣", "\u00b2", "1\u00b2", "\u2460"]
    ),
    unicode_digits,
    st.tuples(st.integers(min_value=0, max_value=999).map(str), unicode_digits).map("".join),
    printable,
)

# The names routes read, plus ones they do not.
QUERY_VALUES = {
    "period": periods,
    "since": dates,
    "until": dates,
    "include_closed": flags,
    "page": numbers,
    "q": st.one_of(usernames, printable.map(lambda s: "https://github.com/" + s)),
    "return_to": st.one_of(
        st.sampled_from(["/", "//evil.example", "https://evil.example/", "/user/github/x"]),
        printable,
    ),
    "theme": st.one_of(st.sampled_from(["light", "dark", "", "LIGHT"]), printable),
    "width": numbers,
    "action": st.one_of(
        st.sampled_from(["hide", "show", "pin", "unpin", "undo", "reset", "hide_repository"]),
        printable,
    ),
    "target": st.one_of(
        st.sampled_from(
            ["octo-org/engine", "octo-org/engine#4211", "octo_acme/tool#3", "-jerry-/x", ""]
        ),
        printable,
    ),
    "code": printable,
    "state": printable,
    "error": printable,
}


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    """A raw query string: known names with fuzzed values, repeats, junk and oversize."""
    pairs: list[tuple[str, str]] = []
    names = draw(st.lists(st.sampled_from(sorted(QUERY_VALUES)), max_size=5))
    for name in names:
        pairs.append((name, draw(QUERY_VALUES[name])))
    pairs += draw(st.lists(st.tuples(printable, printable), max_size=2))
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    tail = draw(st.sampled_from(["", "&", "&&", "=x", "%", "%zz", "&period", "a" * 3000]))
    return encoded + tail


_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)

headers = st.fixed_dictionaries(
    {},
    optional={
        "Authorization": st.one_of(
            st.sampled_from(
                ["Bearer ", "Bearer", "Basic abc", "bearer x y", "Bearer " + "x" * 500]
            ),
            _header_text.map(lambda s: "Bearer " + s),
            _header_text,
        ),
        "Cookie": st.one_of(
            _header_text.map(lambda s: "gitbrag_session=" + s),
            _header_text.map(lambda s: "gitbrag_oauth_state=" + s),
            _header_text,
        ),
        "Accept": st.sampled_from(["*/*", "application/json", "text/html", "", "x/y;q=oops"]),
        "Accept-Encoding": st.sampled_from(["gzip", "br", "gzip;q=0", "identity", "*", ""]),
        "If-None-Match": st.one_of(st.sampled_from(['"abc"', "*", 'W/"x"', ""]), _header_text),
        "X-CSRF-Token": _header_text,
        "Host": st.sampled_from(
            [
                "testserver",
                "testserver:80",
                "example.com",
                "[::1]:80",
                "a" * 200,
                "testserver:99999",
            ]
        ),
        "Content-Type": st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/json",
                "multipart/form-data",
                "text/plain",
                "",
            ]
        ),
    },
)

form_bodies = st.dictionaries(
    st.sampled_from(
        [
            "csrf_token",
            "period",
            "since",
            "until",
            "include_closed",
            "return_to",
            "junk",
            "action",
            "target",
        ]
    ),
    printable,
    max_size=5,
)

job_ids = st.one_of(
    st.uuids().map(str),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.:", min_size=1, max_size=140),
    printable,
)
