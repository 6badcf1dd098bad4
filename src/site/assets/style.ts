/**
 * The site's stylesheet. Colours meet WCAG AA contrast (4.5:1 for text) in
 * both the light and the dark scheme; focus is always visible; the graphs and
 * charts take their colours from the same variables, so they follow the
 * scheme too.
 */
export const STYLE = `
:root{--bg:#fff;--fg:#1a1a1a;--muted:#555;--link:#0b57d0;--line:#c8c8c8;--soft:#f4f5f7;--accent:#0b57d0;--accent-soft:#dfe9fb;--bad:#b3261e;--warn:#8a5300;--good:#1e6b34;--node:#f4f5f7;--edge:#6b6b6b;--focus:#c2410c;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e8e8e8;--muted:#a9adb3;--link:#8ab4f8;--line:#41454b;--soft:#202328;--accent:#8ab4f8;--accent-soft:#233350;--bad:#f2b8b5;--warn:#f5c77e;--good:#8fd6a0;--node:#202328;--edge:#9aa0a6;--focus:#fdba74}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
code,pre,.path,.digest,.cmd{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:.9em}
.digest{word-break:break-all}
pre.cmd,code.cmd{display:inline-block;background:var(--soft);padding:.2em .5em;border-radius:4px;white-space:pre-wrap;word-break:break-word}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5em}
.skip:focus{left:.5em;z-index:2}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{display:flex;flex-wrap:wrap;gap:.5em 1.5em;align-items:center;padding:.6em 1.2em;border-bottom:1px solid var(--line);background:var(--soft)}
header.top .brand{font-weight:700;color:var(--fg);text-decoration:none;font-size:1.1em}
header.top nav{display:flex;gap:1em}
header.top form{margin-left:auto;display:flex;gap:.3em}
input[type=search]{font:inherit;padding:.3em .5em;border:1px solid var(--muted);border-radius:4px;background:var(--bg);color:var(--fg);min-width:16em}
button{font:inherit;padding:.3em .8em;border:1px solid var(--muted);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
main{max-width:72rem;margin:0 auto;padding:1em 1.2em 3em}
footer{max-width:72rem;margin:0 auto;padding:1em 1.2em;color:var(--muted);border-top:1px solid var(--line);font-size:.9em}
h1{font-size:1.8em;margin:.4em 0 .2em;word-break:break-word}
h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1.1em;margin-top:1.3em}
h4{font-size:1em;margin:1em 0 .3em}
.lead{font-size:1.1em;color:var(--muted);margin-top:0}
.ver{font-weight:400;color:var(--muted)}
.tag{font-size:.6em;vertical-align:middle;background:var(--accent-soft);color:var(--fg);padding:.1em .5em;border-radius:1em;font-weight:400}
.muted{color:var(--muted)}
.bad{color:var(--bad)}
.warn{color:var(--warn)}
.good{color:var(--good)}
.crumbs{margin:.2em 0;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em;margin:.8em 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;min-width:0}
ul.rels{margin:0;padding-left:1.1em}
ul.cols{columns:18em;padding-left:1.1em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5em 0;min-width:50%}
th,td{text-align:left;padding:.25em .7em .25em 0;border-bottom:1px solid var(--line);vertical-align:top}
th.num,td.num{text-align:right}
table.files td.path{word-break:break-all}
.desc{white-space:pre-wrap}
section.version{margin-top:2em}
figure{margin:.8em 0}
figcaption{color:var(--muted);font-size:.9em}
svg.graph text{font:13px ui-monospace,"DejaVu Sans Mono",monospace;fill:var(--fg)}
svg.graph text.nv{font-size:12px;fill:var(--muted)}
svg.graph rect{fill:var(--node);stroke:var(--edge)}
svg.graph rect.root{fill:var(--accent-soft);stroke:var(--accent);stroke-width:2}
svg.graph rect.more{stroke-dasharray:4 3}
svg.graph rect.unmet{stroke:var(--bad);stroke-dasharray:4 3}
svg.graph g.e path{fill:none;stroke:var(--edge)}
svg.graph path.d{stroke-dasharray:4 3}
svg.graph path.ah{fill:var(--edge)}
svg.graph a:focus-visible rect,svg.graph a:hover rect{stroke:var(--focus);stroke-width:3}
svg.graph a:focus{outline:none}
svg.chart text{font:13px ui-monospace,"DejaVu Sans Mono",monospace;fill:var(--fg)}
svg.chart rect.bar{fill:var(--accent)}
svg.chart rect.rest{fill:var(--muted)}
.chg.new{color:var(--good)}
.chg.up{color:var(--link)}
.chg.down,.chg.gone{color:var(--warn)}
#search label{display:block;font-weight:600;margin-bottom:.3em}
#search input{width:100%;max-width:40em;font-size:1.1em}
#results{padding-left:0;list-style:none}
#results li{padding:.35em 0;border-bottom:1px solid var(--line)}
#results .rn{font-weight:600}
#results .rv,#results .rs,#results .rp{color:var(--muted)}
#results .rp{display:block;font-family:ui-monospace,monospace;font-size:.9em}
.stats{display:flex;flex-wrap:wrap;gap:.5em 2em;padding:0;list-style:none}
.pager ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.9em}
`;
