"""The public API is documented with examples (the examples themselves run as doctests:
``--doctest-modules`` over ``sim/``)."""

from __future__ import annotations

import inspect


def test_public_api_is_documented() -> None:
    import sim

    for name in sim.__all__:
        obj = getattr(sim, name)
        if name == "__version__":
            continue
        doc = getattr(obj, "__doc__", None) or ""
        assert len(doc.strip()) > 40, name
        assert inspect.isfunction(obj), name
        target = obj
        assert "Examples" in (target.__doc__ or ""), name
