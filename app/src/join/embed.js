/* Gatehouse join widget loader (SJ-3). Paste:
 *   <div data-gatehouse-join="INTEGRATION-ID"></div>
 *   <script src="https://YOUR-GATEHOUSE/embed.js" async></script>
 * It puts the join form in an iframe from Gatehouse (nothing of the host page leaks in)
 * and fits the frame's height to the form, trusting messages from Gatehouse's origin only. */
(function () {
  var me = document.currentScript;
  if (!me || !me.src) return;
  var origin = new URL(me.src).origin;
  var els = document.querySelectorAll('[data-gatehouse-join]');
  Array.prototype.forEach.call(els, function (el) {
    if (el.getAttribute('data-gatehouse-ready')) return;
    var id = el.getAttribute('data-gatehouse-join') || '';
    if (!/^[0-9a-fA-F-]{36}$/.test(id)) return;
    el.setAttribute('data-gatehouse-ready', '1');
    var f = document.createElement('iframe');
    f.src = origin + '/widget/join/' + id + '?host=' + encodeURIComponent(location.origin);
    f.title = el.getAttribute('data-title') || 'Join the integration team';
    f.setAttribute('sandbox', 'allow-forms allow-scripts allow-same-origin allow-popups');
    f.setAttribute('referrerpolicy', 'origin');
    f.style.cssText = 'border:0;display:block;width:100%;max-width:28rem;height:240px;background:transparent';
    window.addEventListener('message', function (ev) {
      if (ev.origin !== origin || ev.source !== f.contentWindow) return;
      var d = ev.data;
      if (d && d.type === 'gatehouse:height' && typeof d.height === 'number') {
        f.style.height = Math.max(60, Math.min(2000, Math.ceil(d.height))) + 'px';
      }
    });
    f.addEventListener('load', function () {
      if (f.contentWindow) f.contentWindow.postMessage({ type: 'gatehouse:hello' }, origin);
    });
    el.appendChild(f);
  });
})();
