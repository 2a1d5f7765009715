"""What a report looks like outside gitbrag: the README card and badge (SVG) and the social
preview image (PNG), each rendered once per report version and served from the cache."""
