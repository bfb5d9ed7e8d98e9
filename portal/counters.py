"""Counter columns that only their own ``UPDATE … SET n = n + 1`` may change.

A version counter (``planning.versions``) is bumped by a conditional update in the writer's
transaction. A plain ``instance.save()`` writes every column back, so an instance read before
the bump would put the old number back, and a later bump would bring the counter to a value
it had already had — a cache key that was used before, for other data. Models holding such a
counter leave it out of their ordinary saves.
"""


class CounterFieldsMixin:
    """``counter_fields``: the columns that ``save()`` of an existing row never writes."""

    counter_fields: tuple[str, ...] = ()

    def save(self, *args, **kwargs):
        if (
            self.counter_fields
            and not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and not (args and args[0])  # positional force_insert
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.counter_fields
            ]
        super().save(*args, **kwargs)
