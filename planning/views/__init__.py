"""Parents' views of the planning app: they parse and render; reads come from
``planning.selectors``, changes go through ``planning.services``."""
