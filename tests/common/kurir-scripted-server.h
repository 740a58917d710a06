/* kurir-scripted-server.h: a scripted loopback server, for what no honest
 * server sends (injected bytes, broken replies, connections cut mid-reply)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One step of a script. The script ends at a step with neither field set,
 * at a step whose @send is NULL (the server closes the connection), or
 * when the client closes its side. */
typedef struct
{
  const char *expect;   /* NULL: send without reading; else read one line from
                         * the client, which must start with this ("" : any) */
  const char *send;     /* NULL: close the connection */
  gsize       length;   /* 0: strlen (send) */
} KurirScriptStep;

typedef struct _KurirScriptedServer KurirScriptedServer;

KurirScriptedServer *kurir_scripted_server_start        (const KurirScriptStep *steps);
guint16              kurir_scripted_server_get_port     (KurirScriptedServer   *server);
void                 kurir_scripted_server_join         (KurirScriptedServer   *server);
const char          *kurir_scripted_server_get_received (KurirScriptedServer   *server);
void                 kurir_scripted_server_stop         (KurirScriptedServer   *server);

G_END_DECLS
