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


def test_readme_documents_every_mechanism_field_and_event_kind() -> None:
    """The README's reference sections cover what the registry declares."""
    from pathlib import Path

    from sim.protocol import registry

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [k for k in registry.event_kinds() if f"`{k}`" not in readme]
    for m in registry.mechanisms():
        missing += [f"{m.name}.{f}" for f in m.spec.model_fields if f"`{f}`" not in readme]
        if f"`{m.name}`" not in readme:
            missing.append(m.name)
    assert not missing, missing
