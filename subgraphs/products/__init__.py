"""The products subgraph: catalogue, categories, images and discounts (``product_db``)."""
