"""`polyshop check`: composition errors, API schema changes, recorded operations, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from graphql import build_schema
from typer.testing import CliRunner

from polyshop.check import CheckReport, check, diff_api_schemas, run_check

REPO = Path(__file__).resolve().parents[2]
CHECK_DATA = Path(__file__).parent / "check_data"

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'

CATALOG = (
    LINK
    + """
type Query {
  product(id: ID!, locale: String! = "en"): Product
  products(filter: ProductFilter, first: Int = 10): [Product!]!
}

type Mutation {
  rename(id: ID!, name: String!): Product
}

type Product @key(fields: "id") {
  id: ID!
  name: String!
  price: Int
  kind: Kind!
}

enum Kind {
  BOOK
  MUSIC
}

input ProductFilter {
  kind: Kind
  maxPrice: Int
  inStock: Boolean! = true
}
"""
)

REVIEWS = (
    LINK
    + """
type Query {
  latestReviews: [Review!]!
}

type Product @key(fields: "id") {
  id: ID!
  reviews: [Review!]!
}

type Review {
  id: ID!
  body: String!
}
"""
)


def edited(old: str, new: str, sdl: str = CATALOG) -> str:
    """`sdl` with one edit; fails when `old` is not there, so no case is silently a no-op."""
    assert sdl.count(old) == 1, old
    return sdl.replace(old, new)


def write_graph(root: Path, catalog: str = CATALOG, reviews: str = REVIEWS) -> Path:
    (root / "catalog.graphql").write_text(catalog)
    (root / "reviews.graphql").write_text(reviews)
    config = root / "supergraph.yaml"
    config.write_text(
        "federation_version: =2.9.0\n"
        "subgraphs:\n"
        "  catalog:\n"
        "    routing_url: http://catalog.local/graphql\n"
        "    schema:\n"
        "      file: ./catalog.graphql\n"
        "  reviews:\n"
        "    routing_url: http://reviews.local/graphql\n"
        "    schema:\n"
        "      file: ./reviews.graphql\n"
    )
    return config


async def check_catalog(
    tmp_path: Path, proposed: str, operations: Path | None = None
) -> CheckReport:
    config = write_graph(tmp_path)
    schema = tmp_path / "proposed.graphql"
    schema.write_text(proposed)
    return await run_check("catalog", schema, config, operations)


def codes(report: CheckReport) -> list[str]:
    return [c.code for c in report.breaking]


# -- schema changes ---------------------------------------------------------------------------


async def test_unchanged_schema_is_safe(tmp_path: Path) -> None:
    report = await check_catalog(tmp_path, CATALOG)
    assert report.exit_code == 0
    assert (report.breaking, report.dangerous, report.composition_errors) == ([], [], [])


async def test_additive_changes_and_tighter_outputs_are_safe(tmp_path: Path) -> None:
    proposed = edited("  price: Int\n", "  price: Int!\n  sku: String\n")
    proposed = edited("  maxPrice: Int\n", "  maxPrice: Int\n  minPrice: Int\n", proposed)
    proposed = edited("inStock: Boolean! = true", "inStock: Boolean = true", proposed)
    report = await check_catalog(tmp_path, proposed)
    assert report.breaking == []
    # An optional input field is not breaking but graphql-core rates it dangerous.
    assert [c.code for c in report.dangerous] == ["OPTIONAL_INPUT_FIELD_ADDED"]
    assert report.exit_code == 0


BREAKING = [
    pytest.param(
        "type Mutation {\n  rename(id: ID!, name: String!): Product\n}\n",
        "",
        "TYPE_REMOVED",
        "Mutation was removed.",
        id="type-removed",
    ),
    pytest.param("  price: Int\n", "", "FIELD_REMOVED", "Product.price", id="field-removed"),
    pytest.param(
        "  BOOK\n  MUSIC\n", "  BOOK\n", "VALUE_REMOVED_FROM_ENUM", "Kind.MUSIC", id="enum-value"
    ),
    pytest.param(
        'product(id: ID!, locale: String! = "en")',
        "product(id: ID!)",
        "ARG_REMOVED",
        "Query.product(locale:)",
        id="argument-removed",
    ),
    pytest.param(
        "  price: Int\n", "  price: String\n", "FIELD_CHANGED_KIND", "Int to String", id="type"
    ),
    pytest.param(
        "first: Int = 10)",
        "first: Int = 10, after: String!)",
        "REQUIRED_ARG_ADDED",
        "Query.products(after:)",
        id="required-argument-added",
    ),
    pytest.param(
        "  inStock: Boolean! = true\n",
        "  inStock: Boolean! = true\n  category: String!\n",
        "REQUIRED_INPUT_FIELD_ADDED",
        "ProductFilter.category",
        id="required-input-field-added",
    ),
    pytest.param(
        "products(filter: ProductFilter,",
        "products(filter: ProductFilter!,",
        "ARG_CHANGED_KIND",
        "from ProductFilter to ProductFilter!",
        id="argument-nullability-tightened",
    ),
    pytest.param(
        "  maxPrice: Int\n",
        "  maxPrice: Int!\n",
        "FIELD_CHANGED_KIND",
        "ProductFilter.maxPrice changed type from Int to Int!",
        id="input-field-nullability-tightened",
    ),
    pytest.param(
        "  name: String!\n",
        "  name: String\n",
        "FIELD_CHANGED_KIND",
        "Product.name changed type from String! to String",
        id="output-nullability-loosened",
    ),
    pytest.param(
        'locale: String! = "en"',
        "locale: String!",
        "ARG_BECAME_REQUIRED",
        "Query.product(locale:)",
        id="argument-default-removed",
    ),
    pytest.param(
        "  inStock: Boolean! = true\n",
        "  inStock: Boolean!\n",
        "INPUT_FIELD_BECAME_REQUIRED",
        "ProductFilter.inStock",
        id="input-field-default-removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "code", "says"), BREAKING)
async def test_breaking_change(tmp_path: Path, old: str, new: str, code: str, says: str) -> None:
    report = await check_catalog(tmp_path, edited(old, new))
    assert report.composition_errors == []
    assert codes(report) == [code], report.breaking
    assert says in report.breaking[0].message
    assert report.exit_code == 1


async def test_default_removed_is_breaking_not_also_a_warning(tmp_path: Path) -> None:
    report = await check_catalog(tmp_path, edited('locale: String! = "en"', "locale: String!"))
    assert report.dangerous == []


DANGEROUS = [
    pytest.param("  MUSIC\n", "  MUSIC\n  FILM\n", "VALUE_ADDED_TO_ENUM", id="enum-value-added"),
    pytest.param(
        "rename(id: ID!, name: String!)",
        "rename(id: ID!, name: String!, note: String)",
        "OPTIONAL_ARG_ADDED",
        id="optional-argument-added",
    ),
    pytest.param("first: Int = 10", "first: Int = 50", "ARG_DEFAULT_VALUE_CHANGE", id="default"),
]


@pytest.mark.parametrize(("old", "new", "code"), DANGEROUS)
async def test_dangerous_change_is_a_warning(tmp_path: Path, old: str, new: str, code: str) -> None:
    report = await check_catalog(tmp_path, edited(old, new))
    assert report.breaking == []
    assert [c.code for c in report.dangerous] == [code]
    assert report.exit_code == 0


def test_input_becoming_one_of_is_breaking() -> None:
    old = build_schema("input F { a: Int b: Int } type Query { f(x: F): Int }")
    new = build_schema("input F @oneOf { a: Int b: Int } type Query { f(x: F): Int }")
    breaking, _ = diff_api_schemas(old, new)
    assert [c.code for c in breaking] == ["INPUT_BECAME_ONE_OF"]
    assert diff_api_schemas(new, old)[0] == []


# -- composition errors and unreadable input ---------------------------------------------------


async def test_proposed_schema_that_does_not_compose(tmp_path: Path) -> None:
    # Review is a value type of reviews; defining it here too without @shareable cannot compose.
    proposed = CATALOG + "\ntype Review {\n  id: ID!\n  body: String!\n}\n"
    report = await check_catalog(tmp_path, proposed)
    assert report.exit_code == 2
    assert report.composition_errors
    assert {s.stage for s in report.composition_errors} == {"proposed"}
    assert "INVALID_FIELD_SHARING" in [s.error.code for s in report.composition_errors]
    assert report.breaking == []


async def test_proposed_schema_with_a_syntax_error(tmp_path: Path) -> None:
    report = await check_catalog(tmp_path, edited("  price: Int\n", "  price:\n"))
    assert [(s.stage, s.error.code) for s in report.composition_errors] == [
        ("proposed", "INVALID_GRAPHQL")
    ]
    assert report.exit_code == 2


async def test_current_subgraphs_that_do_not_compose(tmp_path: Path) -> None:
    config = write_graph(tmp_path, reviews=edited("  body: String!\n", "  body:\n", REVIEWS))
    schema = tmp_path / "proposed.graphql"
    schema.write_text(CATALOG)
    report = await run_check("catalog", schema, config)
    assert "current" in {s.stage for s in report.composition_errors}
    assert report.exit_code == 2


@pytest.mark.parametrize(
    ("subgraph", "schema_name", "config_name", "says"),
    [
        pytest.param("catalog", "missing.graphql", "supergraph.yaml", "cannot read", id="schema"),
        pytest.param("catalog", "proposed.graphql", "nope.yaml", "cannot read", id="config"),
        pytest.param("catalogue", "proposed.graphql", "supergraph.yaml", "no subgraph", id="name"),
    ],
)
async def test_unreadable_input(
    tmp_path: Path, subgraph: str, schema_name: str, config_name: str, says: str
) -> None:
    write_graph(tmp_path)
    (tmp_path / "proposed.graphql").write_text(CATALOG)
    report = await run_check(subgraph, tmp_path / schema_name, tmp_path / config_name)
    assert len(report.input_errors) == 1
    assert says in report.input_errors[0]
    assert report.exit_code == 2


# -- recorded operations ----------------------------------------------------------------------


def write_operations(root: Path) -> Path:
    ops = root / "ops"
    (ops / "web").mkdir(parents=True)
    (ops / "web" / "product.graphql").write_text(
        "query ProductPage($id: ID!) {\n  product(id: $id) {\n    ...Card\n    kind\n  }\n}\n"
    )
    (ops / "web" / "fragments.graphql").write_text(
        "fragment Card on Product {\n  id\n  name\n  price\n}\n"
    )
    (ops / "list.graphql").write_text(
        "query Names {\n  products {\n    name\n  }\n}\n"
        'mutation Rename {\n  rename(id: 1, name: "x") {\n    price\n  }\n}\n'
    )
    (ops / "anonymous.gql").write_text("{\n  products(first: 3) {\n    id\n  }\n}\n")
    (ops / "notes.txt").write_text("not an operation")
    return ops


async def test_operations_that_no_longer_validate(tmp_path: Path) -> None:
    ops = write_operations(tmp_path)
    report = await check_catalog(tmp_path, edited("  price: Int\n", ""), ops)
    assert report.operations_checked == 4
    found = {(op.file, op.operation): op for op in report.invalid_operations}
    assert set(found) == {("web/product.graphql", "ProductPage"), ("list.graphql", "Rename")}
    page = found["web/product.graphql", "ProductPage"]
    assert page.valid_before is True
    assert [e.message for e in page.errors] == ["Cannot query field 'price' on type 'Product'."]
    assert report.exit_code == 1


async def test_operations_still_valid_after_a_breaking_change(tmp_path: Path) -> None:
    # Removing an enum value breaks the schema, yet none of the recorded operations uses it.
    report = await check_catalog(
        tmp_path, edited("  BOOK\n  MUSIC\n", "  BOOK\n"), write_operations(tmp_path)
    )
    assert report.operations_checked == 4
    assert report.invalid_operations == []
    assert codes(report) == ["VALUE_REMOVED_FROM_ENUM"]


async def test_operations_invalid_on_the_new_schema_only_with_a_safe_change(
    tmp_path: Path,
) -> None:
    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "stale.graphql").write_text("query Stale { product(id: 1) { colour } }")
    report = await check_catalog(tmp_path, CATALOG, ops)
    [stale] = report.invalid_operations
    assert (stale.file, stale.operation, stale.valid_before) == ("stale.graphql", "Stale", False)
    assert report.exit_code == 1


async def test_unreadable_operations(tmp_path: Path) -> None:
    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "good.graphql").write_text("query Good { latestReviews { id } }")
    (ops / "broken.graphql").write_text("query Broken { latestReviews { id }")
    report = await check_catalog(tmp_path, CATALOG, ops)
    assert report.operations_checked == 1
    assert [e.split(":")[0] for e in report.input_errors] == ["broken.graphql"]
    assert report.exit_code == 2
    missing = await check_catalog(tmp_path, CATALOG, tmp_path / "absent")
    assert "does not exist" in missing.input_errors[0]
    assert missing.exit_code == 2


# -- the command: exit codes, text and JSON ----------------------------------------------------


def run_cli(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(check)
    app.command("unused")(lambda: None)  # two commands: typer keeps `check` as a subcommand
    result = CliRunner().invoke(app, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("proposed", "exit_code", "verdict"),
    [
        pytest.param(CATALOG, 0, "Result: safe to deploy (exit 0)", id="safe"),
        pytest.param(edited("  price: Int\n", ""), 1, "Result: BREAKING (exit 1)", id="breaking"),
        pytest.param(CATALOG + "type Review { id: ID! }", 2, "Result: FAILED (exit 2)", id="fail"),
    ],
)
def test_cli_exit_codes_and_text(
    tmp_path: Path, proposed: str, exit_code: int, verdict: str
) -> None:
    config = write_graph(tmp_path)
    (tmp_path / "proposed.graphql").write_text(proposed)
    code, out = run_cli(
        "catalog", "--schema", str(tmp_path / "proposed.graphql"), "--config", str(config)
    )
    assert code == exit_code
    assert out.strip().splitlines()[-1] == verdict


def test_cli_text_names_every_category(tmp_path: Path) -> None:
    config = write_graph(tmp_path)
    proposed = edited("  price: Int\n", "").replace("  MUSIC\n", "  MUSIC\n  FILM\n")
    (tmp_path / "proposed.graphql").write_text(proposed)
    ops = write_operations(tmp_path)
    code, out = run_cli(
        "catalog",
        "--schema",
        str(tmp_path / "proposed.graphql"),
        "--config",
        str(config),
        "--operations",
        str(ops),
    )
    assert code == 1
    assert "  x FIELD_REMOVED: Field Product.price was removed." in out
    assert "  ! VALUE_ADDED_TO_ENUM: Enum value Kind.FILM was added." in out
    assert "Operations: 4 checked, 2 no longer valid" in out
    assert "  x web/product.graphql ProductPage:" in out


def test_cli_json_shape(tmp_path: Path) -> None:
    config = write_graph(tmp_path)
    proposed = edited("  price: Int\n", "").replace("  MUSIC\n", "  MUSIC\n  FILM\n")
    (tmp_path / "proposed.graphql").write_text(proposed)
    ops = write_operations(tmp_path)
    code, out = run_cli(
        "catalog",
        "--schema",
        str(tmp_path / "proposed.graphql"),
        "--config",
        str(config),
        "--operations",
        str(ops),
        "--json",
    )
    assert code == 1
    body = json.loads(out)
    assert body["format_version"] == 1
    assert (body["subgraph"], body["ok"], body["exit_code"]) == ("catalog", False, 1)
    assert body["input_errors"] == []
    assert body["composition_errors"] == []
    assert body["breaking_changes"] == [
        {"code": "FIELD_REMOVED", "message": "Field Product.price was removed."}
    ]
    assert body["dangerous_changes"] == [
        {"code": "VALUE_ADDED_TO_ENUM", "message": "Enum value Kind.FILM was added."}
    ]
    assert body["operations"]["checked"] == 4
    invalid = {(op["file"], op["operation"]): op for op in body["operations"]["invalid"]}
    rename = invalid["list.graphql", "Rename"]
    assert rename["valid_before"] is True
    assert rename["errors"] == [
        {
            "message": "Cannot query field 'price' on type 'Product'.",
            "locations": [{"line": 8, "column": 5}],
        }
    ]


def test_cli_json_composition_errors(tmp_path: Path) -> None:
    config = write_graph(tmp_path)
    (tmp_path / "proposed.graphql").write_text(edited("  price: Int\n", "  price:\n"))
    code, out = run_cli(
        "catalog",
        "--schema",
        str(tmp_path / "proposed.graphql"),
        "--config",
        str(config),
        "--json",
    )
    assert code == 2
    body = json.loads(out)
    [error] = body["composition_errors"]
    assert set(error) == {"stage", "code", "message", "subgraphs", "coordinates"}
    assert (error["stage"], error["code"], error["subgraphs"]) == (
        "proposed",
        "INVALID_GRAPHQL",
        ["catalog"],
    )
    assert body["operations"] is None
    assert body["ok"] is False


# -- this repo's real supergraph -------------------------------------------------------------


async def test_real_products_schema_with_a_field_removed(tmp_path: Path) -> None:
    products = (REPO / "schema" / "products.graphql").read_text()
    proposed = tmp_path / "products.graphql"
    proposed.write_text(_without_brand(products))
    report = await run_check(
        "products", proposed, REPO / "supergraph.yaml", CHECK_DATA / "operations"
    )
    assert report.composition_errors == []
    assert "Field Product.brand was removed." in [c.message for c in report.breaking]
    assert report.operations_checked == 3
    assert [(op.file, op.operation) for op in report.invalid_operations] == [
        ("storefront/product_page.graphql", "ProductPage")
    ]
    assert report.exit_code == 1


async def test_real_products_schema_unchanged_is_safe() -> None:
    report = await run_check(
        "products",
        REPO / "schema" / "products.graphql",
        REPO / "supergraph.yaml",
        CHECK_DATA / "operations",
    )
    assert (report.exit_code, report.breaking, report.invalid_operations) == (0, [], [])
    assert report.operations_checked == 3


def _without_brand(products: str) -> str:
    """products.graphql without `Product.brand` (only that field; inputs keep theirs)."""
    head, sep, rest = products.partition("type Product @key")
    assert sep, "products.graphql has no Product type"
    body, end, tail = rest.partition("\n}\n")
    assert "\n  brand: String\n" in body
    return head + sep + body.replace("\n  brand: String\n", "\n", 1) + end + tail
