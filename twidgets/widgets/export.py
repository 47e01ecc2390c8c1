"""A self-contained HTML page of the headline and figures: opens offline (for slides).

plotly.js is embedded once (the copy the installed ``plotly`` package ships), each figure
is its JSON, drawn with ``Plotly.newPlot``; nothing is fetched from the network.
"""

from __future__ import annotations

import html

__all__ = ["figure_json", "export_html"]


def figure_json(figure) -> str:
    """A figure as plotly JSON text: a plotly figure / FigureWidget, an object with a
    ``figure`` dict (the project's plot widget), or a ``{"data", "layout"}`` dict."""
    import plotly.io as pio

    if isinstance(figure, dict):
        return pio.to_json(figure, validate=False)
    inner = getattr(figure, "figure", None)
    if isinstance(inner, dict):
        return pio.to_json(inner, validate=False)
    return pio.to_json(figure, validate=False)


def export_html(title: str, headline: str, figures: list[tuple[str, object]], note: str = "") -> str:
    """The page: ``title``, the ``headline`` HTML, then each ``(caption, figure)``."""
    from plotly.offline import get_plotlyjs

    blocks = []
    scripts = []
    for i, (caption, fig) in enumerate(figures):
        blocks.append(
            f'<section class="tw-export-figure"><h2>{html.escape(caption)}</h2><div id="tw-fig-{i}" class="tw-fig"></div></section>'
        )
        scripts.append(
            f"(function(){{var f={figure_json(fig)};"
            f"f.layout=f.layout||{{}};f.layout.autosize=true;delete f.layout.width;"
            f'Plotly.newPlot("tw-fig-{i}",f.data,f.layout,{{responsive:true,displaylogo:false}});}})();'
        )
    body = "\n".join(blocks)
    script = "\n".join(scripts).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:12px}} .tw-fig{{width:100%;min-height:360px}}
h1{{font-size:18px}} h2{{font-size:14px;margin:10px 0 0}} .tw-note{{color:#555;font-size:12px}}</style>
<script>{get_plotlyjs()}</script></head>
<body><h1>{html.escape(title)}</h1><p class="tw-note">{html.escape(note)}</p>
{headline}
{body}
<script>{script}</script>
</body></html>
"""
