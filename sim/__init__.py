"""deconflict: Coalition and Russian air operations over Syria under the 2015-2017 arrangements."""

__version__ = "0.1.0"
