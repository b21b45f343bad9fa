"""Component-model plugins (``wit/dataflare.wit``) behind the same interface as core modules.

:class:`ComponentPlugin` mirrors :class:`~dataflare_provider.runtime.plugin.Plugin`;
:func:`is_component` tells a component binary from a core module by its header.
"""

from dataflare_provider.runtime.component.detect import is_component
from dataflare_provider.runtime.component.mapping import RecordMapping
from dataflare_provider.runtime.component.plugin import ComponentInstance, ComponentPlugin

__all__ = ["ComponentInstance", "ComponentPlugin", "RecordMapping", "is_component"]
