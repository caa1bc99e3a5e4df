"""The module ``solara run`` serves for ``negsim dashboard`` (see negsim.dashboard); it defines ``Page``."""

from negsim.dashboard import page

Page = page()
