"""Where ``@theguild/federation-composition`` 0.27 and Apollo composition legitimately differ.

We follow Apollo. Each entry names its case and says what theguild does; the test checks the
entry still describes theguild's behaviour (a stale entry fails) and, where a stored Apollo
result exists (``tests/composition/fixtures/apollo/``), that ours is Apollo's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.live_oracle.cases import CASE, SCENARIO


@dataclass(frozen=True, slots=True)
class SupergraphDivergence:
    """Both compose; ``edits`` (old, new) turn our normalized supergraph into theguild's."""

    reason: str
    edits: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class OutcomeDivergence:
    """Only one of the two composes; ``theguild_codes`` is empty where theguild composes."""

    reason: str
    theguild_codes: frozenset[str]


# Subgraph SDL edits made only for theguild's input, so the rest of the case is still compared.
THEGUILD_INPUT_EDITS: dict[str, tuple[tuple[str, str], ...]] = {
    # theguild knows federation link versions up to v2.9 (UNKNOWN_FEDERATION_LINK_VERSION on
    # v2.11); the case uses nothing newer than v2.5 (@authenticated), and both print join/v0.5.
    CASE + "strawberry_style": (("federation/v2.11", "federation/v2.9"),),
}

SUPERGRAPH_DIVERGENCES: dict[str, SupergraphDivergence] = {
    CASE + "demand_control": SupergraphDivergence(
        "merging differing @listSize applications, Apollo prints requireOneSlicingArgument "
        "(the conjunction, true by default); theguild leaves it out",
        ((" requireOneSlicingArgument: true,", ""),),
    ),
    CASE + "demand_control_merged_list_sizes": SupergraphDivergence(
        "as in demand_control: Apollo prints the merged requireOneSlicingArgument",
        ((", requireOneSlicingArgument: true)", ")"),),
    ),
    CASE + "demand_control_cost_only": SupergraphDivergence(
        "with only @cost in use, Apollo defines the unimported @listSize as @cost__listSize; "
        "theguild names it @listSize",
        (
            (
                "\n\ndirective @cost__listSize(assumedSize: Int, "
                "requireOneSlicingArgument: Boolean = true, sizedFields: [String!], "
                "slicingArguments: [String!]) on FIELD_DEFINITION",
                "",
            ),
            (
                "repeatable on SCHEMA",
                "repeatable on SCHEMA\n\ndirective @listSize(assumedSize: Int, "
                "requireOneSlicingArgument: Boolean = true, sizedFields: [String!], "
                "slicingArguments: [String!]) on FIELD_DEFINITION",
            ),
        ),
    ),
    CASE + "descriptions_and_defaults": SupergraphDivergence(
        "theguild drops the schema description; Apollo keeps it",
        (('"Schema desc"\nschema ', "schema "),),
    ),
    CASE + "field_type_narrowing": SupergraphDivergence(
        "theguild omits @join__field(type:) where subgraphs declare different types for a "
        "shareable field; Apollo records each subgraph's type",
        (
            (' @join__field(graph: A, type: "[Int!]!") @join__field(graph: B, type: "[Int]")', ""),
            (' @join__field(graph: A, type: "Animal") @join__field(graph: B, type: "Dog")', ""),
        ),
    ),
    CASE + "inputs_args": SupergraphDivergence(
        "theguild omits @join__field(type:) (as in field_type_narrowing)",
        (
            (
                ' @join__field(graph: A, type: "[String]") '
                '@join__field(graph: B, type: "[String!]")',
                "",
            ),
        ),
    ),
    SCENARIO + "53_interface_object_requires": SupergraphDivergence(
        "theguild omits @join__field(graph: BILLING, external: true) on the interface field an "
        "@interfaceObject declares @external (so no @join__field at all); Apollo prints it "
        "(DIVERGENCES in test_compose_scenarios.py)",
        (
            (
                "name: String! @join__field(external: true, graph: BILLING) "
                "@join__field(graph: ACCOUNTS)",
                "name: String!",
            ),
        ),
    ),
    SCENARIO + "70_requires_interface_object_own_root": SupergraphDivergence(
        "the same omission as 53_interface_object_requires, on an @interfaceObject reached from "
        "billing's own root field (the router's reader treats a field billing's @requires names "
        "as external either way)",
        (
            (
                "name: String! @join__field(external: true, graph: BILLING) "
                "@join__field(graph: ACCOUNTS)",
                "name: String!",
            ),
        ),
    ),
}

CODE_DIVERGENCES: dict[str, OutcomeDivergence] = {
    CASE + "err_list_size_not_a_list": OutcomeDivergence(
        "both refuse @listSize on a non-list field without sizedFields; theguild says "
        "LIST_SIZE_INVALID_SIZED_FIELD, Apollo LIST_SIZE_APPLIED_TO_NON_LIST",
        frozenset({"LIST_SIZE_INVALID_SIZED_FIELD"}),
    ),
}
"""Both fail, with different codes: ``theguild_codes`` are theguild's."""

OUTCOME_DIVERGENCES: dict[str, OutcomeDivergence] = {
    CASE + "err_demand_control_import_mismatch": OutcomeDivergence(
        "theguild merges @cost imported as @cost in one subgraph and used as @federation__cost "
        "in another; Apollo rejects it (LINK_IMPORT_NAME_MISMATCH, as for @tag)",
        frozenset(),
    ),
    CASE + "err_directive_definition_invalid": OutcomeDivergence(
        "theguild accepts a redefinition of @shareable with an unknown argument and extra "
        "location; Apollo rejects it (DIRECTIVE_DEFINITION_INVALID)",
        frozenset(),
    ),
    CASE + "err_link_import_name_mismatch": OutcomeDivergence(
        "theguild merges @tag imported as @tag in one subgraph and used as @federation__tag in "
        "another; Apollo rejects it (LINK_IMPORT_NAME_MISMATCH)",
        frozenset(),
    ),
    CASE + "err_interface_key_missing_implementation_type": OutcomeDivergence(
        "theguild does not check that a subgraph with a resolvable interface @key defines every "
        "implementation; Apollo does (INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE)",
        frozenset(),
    ),
    CASE + "renamed_imports": OutcomeDivergence(
        'theguild does not resolve a namespaced @link(as: "fed") (@fed__key is an unknown '
        "directive to it); Apollo composes the case",
        frozenset({"INVALID_GRAPHQL"}),
    ),
}
