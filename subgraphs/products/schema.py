"""The products subgraph's schema: queries and mutations over the catalogue.

Resolvers stay thin: they parse ids, call ``service.py`` inside the request's session and
convert rows to GraphQL objects. Reads are public; every mutation is a catalogue write
guarded by ``access.catalog_mutation`` (role admin or scope catalog:write). Print the SDL
committed in ``schema/products.graphql`` with
``python -m subgraphs.products.schema > schema/products.graphql``.
"""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.file_uploads import Upload

from subgraphs.kit.cache import invalidate, invalidate_type, public
from subgraphs.kit.pagination import Connection, check_page_size, page_size
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.products import service
from subgraphs.products import validation as check
from subgraphs.products.access import catalog_mutation
from subgraphs.products.images import image_url, read_upload
from subgraphs.products.inputs import (
    AddProductDiscountInput,
    AddProductImageInput,
    CreateCategoryInput,
    CreateDiscountMethodInput,
    CreateProductInput,
    ProductFilter,
    ProductOrder,
    UpdateCategoryInput,
    UpdateProductInput,
    given,
)
from subgraphs.products.loaders import ProductContext
from subgraphs.products.models import Product
from subgraphs.products.objects import (
    CategoryType,
    DiscountMethodType,
    ProductDiscountType,
    ProductImageType,
    ProductType,
)

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
CATALOG_MAX_AGE = 30
"""Seconds the router may serve catalogue answers from its entity cache: the catalogue is
public, and every write through the router (or its event) drops what it changed at once."""
CACHE_HINTS = {
    "Product": public(CATALOG_MAX_AGE),
    "Category": public(CATALOG_MAX_AGE),
    "Query.products": public(CATALOG_MAX_AGE),
    "Query.categories": public(CATALOG_MAX_AGE),
    "Query.discountMethods": public(CATALOG_MAX_AGE),
}


def _changed_product(product_id: int) -> None:
    invalidate("Product", {"id": product_id})


def _changed_catalogue() -> None:
    """A category or discount method changed: products show both, so every product too."""
    invalidate_type("Category")
    invalidate_type("Product")


def _origin(context: ProductContext) -> service.Origin:
    return service.Origin.from_header(context.correlation_id)


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return None if value is None else check.entity_id(value, field=field)


def _product_query(filter: ProductFilter | None) -> service.ProductQuery:
    if filter is None:
        return service.ProductQuery()
    return service.ProductQuery(
        category_id=_optional_id(filter.category_id, "categoryId"),
        include_subcategories=filter.include_subcategories,
        search=filter.search,
        min_price=filter.min_price,
        max_price=filter.max_price,
        brand=filter.brand,
        active=filter.active,
        currency=filter.currency,
    ).validated()


@strawberry.type
class Query:
    @strawberry.field(description="A product by id; deleted ones only with includeDeleted.")
    async def product(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        include_deleted: bool = False,
    ) -> ProductType | None:
        row = await info.context.loaders.product.load(check.entity_id(id))
        if row is None or (row.is_deleted and not include_deleted):
            return None
        return ProductType.from_row(row)

    @strawberry.field(
        description="Live products, filtered, as a cursor connection.",
        directives=[page_size(PAGE_SIZE_DEFAULT)],
    )
    async def products(
        self,
        info: strawberry.Info[ProductContext, None],
        filter: ProductFilter | None = None,
        order_by: ProductOrder = ProductOrder.NAME_ASC,
        first: int | None = PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Connection[ProductType]:
        context = info.context
        size = check_page_size(first, default=PAGE_SIZE_DEFAULT, maximum=PAGE_SIZE_MAX)
        query = _product_query(filter)
        async with context.db() as session:
            page = await service.list_products(
                session, query, order=order_by.value, first=size, after=after
            )
        for row in page.rows:
            context.loaders.product.prime(row.id, row)

        async def count_total() -> int:
            async with context.db() as session:
                return await service.count_products(session, query)

        return page.to_connection(ProductType.from_row, count_total)

    @strawberry.field(description="A category by id; deleted ones only with includeDeleted.")
    async def category(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        include_deleted: bool = False,
    ) -> CategoryType | None:
        row = await info.context.loaders.category.load(check.entity_id(id))
        if row is None or (row.is_deleted and not include_deleted):
            return None
        return CategoryType.from_row(row)

    @strawberry.field(description="Categories by name; rootsOnly for the top of the tree.")
    async def categories(
        self,
        info: strawberry.Info[ProductContext, None],
        include_deleted: bool = False,
        roots_only: bool = False,
    ) -> list[CategoryType]:
        async with info.context.db() as session:
            rows = await service.list_categories(
                session, include_deleted=include_deleted, roots_only=roots_only
            )
        return [CategoryType.from_row(row) for row in rows]

    @strawberry.field
    async def discount_methods(
        self, info: strawberry.Info[ProductContext, None]
    ) -> list[DiscountMethodType]:
        async with info.context.db() as session:
            rows = await service.list_discount_methods(session)
        return [DiscountMethodType.from_row(row) for row in rows]


@strawberry.type
class Mutation:
    @catalog_mutation()
    async def create_product(
        self, info: strawberry.Info[ProductContext, None], input: CreateProductInput
    ) -> ProductType:
        context = info.context
        data = service.NewProduct(
            name=input.name,
            price=input.price,
            category_id=check.entity_id(input.category_id, field="categoryId"),
            currency=input.currency,
            description=input.description,
            brand=input.brand,
            active=input.active,
            image_url=input.image_url,
        )
        async with context.db() as session:
            row = await service.create_product(session, data, _origin(context))
        invalidate_type("Category")  # lists and counts of its category change
        return ProductType.from_row(row)

    @catalog_mutation("Fails with CONFLICT when expectedVersion is stale.")
    async def update_product(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int,
        input: UpdateProductInput,
    ) -> ProductType:
        context = info.context
        changes = given(input)
        if changes.get("category_id") is not None:
            changes["category_id"] = check.entity_id(changes["category_id"], field="categoryId")
        async with context.db() as session:
            row = await service.update_product(
                session, check.entity_id(id), expected_version, changes, _origin(context)
            )
        _changed_product(row.id)
        return ProductType.from_row(row)

    @catalog_mutation("Soft delete: the product leaves lists but still resolves.")
    async def delete_product(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int | None = None,
    ) -> ProductType:
        async with info.context.db() as session:
            row = await service.delete_product(session, check.entity_id(id), expected_version)
        _changed_product(row.id)
        return ProductType.from_row(row)

    @catalog_mutation()
    async def restore_product(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int | None = None,
    ) -> ProductType:
        async with info.context.db() as session:
            row = await service.restore_product(session, check.entity_id(id), expected_version)
        _changed_product(row.id)
        return ProductType.from_row(row)

    @catalog_mutation()
    async def create_category(
        self, info: strawberry.Info[ProductContext, None], input: CreateCategoryInput
    ) -> CategoryType:
        async with info.context.db() as session:
            row = await service.create_category(
                session,
                name=input.name,
                description=input.description,
                parent_id=_optional_id(input.parent_id, "parentId"),
            )
        _changed_catalogue()
        return CategoryType.from_row(row)

    @catalog_mutation("Fails with CONFLICT when expectedVersion is stale.")
    async def update_category(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int,
        input: UpdateCategoryInput,
    ) -> CategoryType:
        changes = given(input)
        if "parent_id" in changes:
            changes["parent_id"] = _optional_id(changes["parent_id"], "parentId")
        async with info.context.db() as session:
            row = await service.update_category(
                session, check.entity_id(id), expected_version, changes
            )
        _changed_catalogue()
        return CategoryType.from_row(row)

    @catalog_mutation("Soft delete; refused while live products or children remain.")
    async def delete_category(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int | None = None,
    ) -> CategoryType:
        async with info.context.db() as session:
            row = await service.delete_category(session, check.entity_id(id), expected_version)
        _changed_catalogue()
        return CategoryType.from_row(row)

    @catalog_mutation()
    async def restore_category(
        self,
        info: strawberry.Info[ProductContext, None],
        id: strawberry.ID,
        expected_version: int | None = None,
    ) -> CategoryType:
        async with info.context.db() as session:
            row = await service.restore_category(session, check.entity_id(id), expected_version)
        _changed_catalogue()
        return CategoryType.from_row(row)

    @catalog_mutation()
    async def add_product_image(
        self, info: strawberry.Info[ProductContext, None], input: AddProductImageInput
    ) -> ProductImageType:
        async with info.context.db() as session:
            row = await service.add_image(
                session,
                check.entity_id(input.product_id, field="productId"),
                url=input.url,
                alt_text=input.alt_text,
                position=input.position,
            )
        _changed_product(row.product_id)
        return ProductImageType.from_row(row)

    @catalog_mutation(
        "Uploads an image file (PNG, JPEG, GIF or WebP; a GraphQL multipart request) to the "
        "product's gallery; the products service keeps it and serves it at `url`."
    )
    async def upload_product_image(
        self,
        info: strawberry.Info[ProductContext, None],
        product_id: strawberry.ID,
        file: Upload,
        alt_text: str | None = None,
        position: int | None = None,
    ) -> ProductImageType:
        context = info.context
        request = context.request
        assert request is not None
        settings = context.resources
        data = await read_upload(file, settings.image_max_bytes)
        base = settings.public_url or str(request.base_url)
        async with context.db() as session:
            row = await service.add_uploaded_image(
                session,
                check.entity_id(product_id, field="productId"),
                data,
                url_for=partial(image_url, base),
                alt_text=alt_text,
                position=position,
                max_bytes=settings.image_max_bytes,
            )
        _changed_product(row.product_id)
        return ProductImageType.from_row(row)

    @catalog_mutation("Deletes the image; returns its product.")
    async def remove_product_image(
        self, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> ProductType:
        context = info.context
        async with context.db() as session:
            product_id = await service.remove_image(session, check.entity_id(id))
            row = await session.get(Product, product_id)
        assert row is not None  # the image's foreign key guarantees it
        _changed_product(row.id)
        return ProductType.from_row(row)

    @catalog_mutation()
    async def create_discount_method(
        self, info: strawberry.Info[ProductContext, None], input: CreateDiscountMethodInput
    ) -> DiscountMethodType:
        async with info.context.db() as session:
            row = await service.create_discount_method(session, input.kind, input.description)
        _changed_catalogue()
        return DiscountMethodType.from_row(row)

    @catalog_mutation("Soft delete: its discounts stop applying.")
    async def delete_discount_method(
        self, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> DiscountMethodType:
        async with info.context.db() as session:
            row = await service.set_discount_method_deleted(
                session, check.entity_id(id), deleted=True
            )
        _changed_catalogue()
        return DiscountMethodType.from_row(row)

    @catalog_mutation()
    async def restore_discount_method(
        self, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> DiscountMethodType:
        async with info.context.db() as session:
            row = await service.set_discount_method_deleted(
                session, check.entity_id(id), deleted=False
            )
        _changed_catalogue()
        return DiscountMethodType.from_row(row)

    @catalog_mutation()
    async def add_product_discount(
        self, info: strawberry.Info[ProductContext, None], input: AddProductDiscountInput
    ) -> ProductDiscountType:
        data = service.NewDiscount(
            product_id=check.entity_id(input.product_id, field="productId"),
            discount_method_id=check.entity_id(input.discount_method_id, field="discountMethodId"),
            value=input.value,
            start_date=input.start_date,
            end_date=input.end_date,
            active=input.active,
        )
        async with info.context.db() as session:
            row = await service.add_discount(session, data)
        _changed_product(row.product_id)
        return ProductDiscountType.from_row(row)

    @catalog_mutation("Soft delete of one discount.")
    async def remove_product_discount(
        self, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> ProductDiscountType:
        async with info.context.db() as session:
            row = await service.remove_discount(session, check.entity_id(id))
        _changed_product(row.product_id)
        return ProductDiscountType.from_row(row)


schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[ProductType, CategoryType],
    constraint_messages=service.CONSTRAINT_MESSAGES,
    cache_hints=CACHE_HINTS,
)


def sdl() -> str:
    """The SDL to commit as ``schema/products.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
