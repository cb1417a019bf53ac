"""The end-to-end runs behind ``htmhw demo`` and the studies of the docs: each trains, measures
and draws one job from data to figures (``digits``: the SP on the 8x8 digits; ``mnist``: digit ->
SDR -> digit; ``som_study``: the SOM encoder study). benchmarks/ runs them at full scale; the
library's modelling code never imports them."""
