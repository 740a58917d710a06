/* test-autoconfig.c: finding servers without a network: the provider
 * table, the autoconfig parser (also hostile XML), SRV through a test
 * GResolver, and the ranking
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kurir-autoconfig.h"
#include "kurir-providers.h"
#include "kurir-scripted-server.h"
#include "kurir-test-util.h"

/* A resolver that answers SRV queries from a table. */

#define TEST_TYPE_RESOLVER (test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestResolver, test_resolver, TEST, RESOLVER, GResolver)

struct _TestResolver
{
  GResolver   parent_instance;
  GHashTable *records;   /* rrname -> "host:port:priority;..." */
  GPtrArray  *queries;
};

G_DEFINE_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static GList *
lookup (TestResolver *self,
        const char   *rrname,
        GError      **error)
{
  const char *spec;
  g_auto(GStrv) entries = NULL;
  GList *targets = NULL;

  g_ptr_array_add (self->queries, g_strdup (rrname));
  spec = g_hash_table_lookup (self->records, rrname);
  if (spec == NULL)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "No %s", rrname);
      return NULL;
    }

  entries = g_strsplit (spec, ";", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (entries[i], ",", 3);
      targets = g_list_append (targets,
                               g_srv_target_new (parts[0], atoi (parts[1]), atoi (parts[2]), 0));
    }
  return targets;
}

static GList *
test_resolver_lookup_service (GResolver     *resolver,
                              const char    *rrname,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return lookup (TEST_RESOLVER (resolver), rrname, error);
}

static void
test_resolver_lookup_service_async (GResolver           *resolver,
                                    const char          *rrname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *targets = lookup (TEST_RESOLVER (resolver), rrname, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, targets, (GDestroyNotify) g_resolver_free_targets);
}

static GList *
test_resolver_lookup_service_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_finalize (GObject *object)
{
  TestResolver *self = TEST_RESOLVER (object);

  g_hash_table_unref (self->records);
  g_ptr_array_unref (self->queries);
  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_resolver_finalize;
  resolver_class->lookup_service = test_resolver_lookup_service;
  resolver_class->lookup_service_async = test_resolver_lookup_service_async;
  resolver_class->lookup_service_finish = test_resolver_lookup_service_finish;
}

static void
test_resolver_init (TestResolver *self)
{
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->queries = g_ptr_array_new_with_free_func (g_free);
}

/* Helpers */

static const KurirServerSetting *
find (GPtrArray     *settings,
      KurirProtocol  protocol,
      KurirSecurity  security)
{
  for (guint i = 0; i < settings->len; i++)
    {
      const KurirServerSetting *s = g_ptr_array_index (settings, i);
      if (s->protocol == protocol && s->security == security)
        return s;
    }
  return NULL;
}

static GPtrArray *
parse (const char  *xml,
       GError     **error)
{
  return kurir_autoconfig_parse (xml, strlen (xml), "jane.doe@example.org", error);
}

/* Providers */

static void
test_providers_gmail (void)
{
  g_autoptr(GPtrArray) settings = kurir_providers_lookup ("Someone@GMail.com");
  const KurirServerSetting *imap, *pop3, *smtp;

  g_assert_nonnull (settings);
  g_assert_cmpstr (kurir_providers_lookup_name ("someone@googlemail.com"), ==, "Gmail");

  imap = find (settings, KURIR_PROTOCOL_IMAP, KURIR_SECURITY_TLS);
  g_assert_nonnull (imap);
  g_assert_cmpstr (imap->host, ==, "imap.gmail.com");
  g_assert_cmpuint (imap->port, ==, 993);
  g_assert_cmpstr (imap->user, ==, "Someone@GMail.com");
  pop3 = find (settings, KURIR_PROTOCOL_POP3, KURIR_SECURITY_TLS);
  g_assert_nonnull (pop3);
  g_assert_cmpstr (pop3->host, ==, "pop.gmail.com");
  g_assert_cmpuint (pop3->port, ==, 995);
  smtp = find (settings, KURIR_PROTOCOL_SMTP, KURIR_SECURITY_TLS);
  g_assert_nonnull (smtp);
  g_assert_cmpstr (smtp->host, ==, "smtp.gmail.com");
  g_assert_cmpuint (smtp->port, ==, 465);
}

static void
test_providers_many (void)
{
  static const struct {
    const char *address;
    const char *name;
    const char *imap_host;
    gboolean has_pop3;
  } cases[] = {
    { "a@hotmail.com", "Outlook.com", "outlook.office365.com", TRUE },
    { "a@live.com", "Outlook.com", "outlook.office365.com", TRUE },
    { "a@outlook.com", "Outlook.com", "outlook.office365.com", TRUE },
    { "a@yahoo.com", "Yahoo Mail", "imap.mail.yahoo.com", TRUE },
    { "a@icloud.com", "iCloud Mail", "imap.mail.me.com", FALSE },
    { "a@fastmail.com", "Fastmail", "imap.fastmail.com", TRUE },
    { "a@gmx.de", "GMX", "imap.gmx.net", TRUE },
    { "a@zoho.com", "Zoho Mail", "imap.zoho.com", TRUE },
    { "a@aol.com", "AOL Mail", "imap.aol.com", TRUE },
    { "a@yandex.ru", "Yandex Mail", "imap.yandex.com", TRUE },
    { "a@mail.ru", "Mail.ru", "imap.mail.ru", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) settings = kurir_providers_lookup (cases[i].address);
      const KurirServerSetting *imap;

      g_assert_nonnull (settings);
      g_assert_cmpstr (kurir_providers_lookup_name (cases[i].address), ==, cases[i].name);
      imap = find (settings, KURIR_PROTOCOL_IMAP, KURIR_SECURITY_TLS);
      g_assert_nonnull (imap);
      g_assert_cmpstr (imap->host, ==, cases[i].imap_host);
      g_assert_true ((find (settings, KURIR_PROTOCOL_POP3, KURIR_SECURITY_TLS) != NULL) == cases[i].has_pop3);
      g_assert_true (find (settings, KURIR_PROTOCOL_SMTP, KURIR_SECURITY_TLS) != NULL ||
                     find (settings, KURIR_PROTOCOL_SMTP, KURIR_SECURITY_STARTTLS) != NULL);
      /* Never plaintext in the table. */
      for (guint j = 0; j < settings->len; j++)
        g_assert_cmpint (((KurirServerSetting *) g_ptr_array_index (settings, j))->security, !=,
                         KURIR_SECURITY_NONE);
    }

  /* iCloud logs in with the local part. */
  {
    g_autoptr(GPtrArray) settings = kurir_providers_lookup ("jane@icloud.com");
    g_assert_cmpstr (find (settings, KURIR_PROTOCOL_IMAP, KURIR_SECURITY_TLS)->user, ==, "jane");
  }
}

static void
test_providers_unknown (void)
{
  g_assert_null (kurir_providers_lookup ("a@example.org"));
  g_assert_null (kurir_providers_lookup_name ("a@gmail.com.example.org"));
  g_assert_null (kurir_providers_lookup ("not an address"));
  g_assert_null (kurir_providers_lookup (NULL));
  /* A domain alone works too, without user names. */
  {
    g_autoptr(GPtrArray) settings = kurir_providers_lookup ("gmail.com");
    g_assert_nonnull (settings);
    g_assert_null (((KurirServerSetting *) g_ptr_array_index (settings, 0))->user);
  }
}

static void
test_email_domain (void)
{
  g_autofree char *d1 = kurir_autoconfig_email_domain ("x@Example.ORG");
  g_autofree char *u = kurir_autoconfig_expand_user ("%EMAILLOCALPART%+%EMAILDOMAIN%", "me@x.org");

  g_assert_cmpstr (d1, ==, "example.org");
  g_assert_null (kurir_autoconfig_email_domain ("nobody"));
  g_assert_null (kurir_autoconfig_email_domain ("a@"));
  g_assert_null (kurir_autoconfig_email_domain ("a@localhost"));
  g_assert_null (kurir_autoconfig_email_domain ("a@bad host.org"));
  g_assert_cmpstr (u, ==, "me+x.org");
}

/* Autoconfig parser */

static const char good_config[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<clientConfig version=\"1.1\">\n"
  "  <emailProvider id=\"example.org\">\n"
  "    <domain>example.org</domain>\n"
  "    <displayName>Example Mail</displayName>\n"
  "    <incomingServer type=\"imap\">\n"
  "      <hostname>imap.example.org</hostname>\n"
  "      <port>993</port>\n"
  "      <socketType>SSL</socketType>\n"
  "      <authentication>password-cleartext</authentication>\n"
  "      <username>%EMAILADDRESS%</username>\n"
  "    </incomingServer>\n"
  "    <incomingServer type=\"pop3\">\n"
  "      <hostname>pop.%EMAILDOMAIN%</hostname>\n"
  "      <port>110</port>\n"
  "      <socketType>STARTTLS</socketType>\n"
  "      <authentication>password-encrypted</authentication>\n"
  "      <username>%EMAILLOCALPART%</username>\n"
  "    </incomingServer>\n"
  "    <incomingServer type=\"imap\">\n"
  "      <hostname>oauth.example.org</hostname>\n"
  "      <port>993</port>\n"
  "      <socketType>SSL</socketType>\n"
  "      <authentication>OAuth2</authentication>\n"
  "    </incomingServer>\n"
  "    <incomingServer type=\"exchange\">\n"
  "      <hostname>ews.example.org</hostname><port>443</port><socketType>SSL</socketType>\n"
  "    </incomingServer>\n"
  "    <outgoingServer type=\"smtp\">\n"
  "      <hostname><![CDATA[smtp.example.org]]></hostname>\n"
  "      <port>587</port>\n"
  "      <socketType>STARTTLS</socketType>\n"
  "      <authentication>OAuth2</authentication>\n"
  "      <authentication>password-cleartext</authentication>\n"
  "      <username>%EMAILADDRESS%</username>\n"
  "    </outgoingServer>\n"
  "  </emailProvider>\n"
  "</clientConfig>\n";

static void
test_parse_good (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = parse (good_config, &error);
  const KurirServerSetting *s;

  g_assert_no_error (error);
  g_assert_nonnull (settings);
  /* The OAuth2-only and the Exchange server are left out. */
  g_assert_cmpuint (settings->len, ==, 3);

  s = g_ptr_array_index (settings, 0);
  g_assert_cmpint (s->protocol, ==, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (s->host, ==, "imap.example.org");
  g_assert_cmpuint (s->port, ==, 993);
  g_assert_cmpint (s->security, ==, KURIR_SECURITY_TLS);
  g_assert_cmpstr (s->user, ==, "jane.doe@example.org");
  g_assert_cmpint (s->source, ==, KURIR_DISCOVERY_SOURCE_AUTOCONFIG);

  s = g_ptr_array_index (settings, 1);
  g_assert_cmpint (s->protocol, ==, KURIR_PROTOCOL_POP3);
  g_assert_cmpstr (s->host, ==, "pop.example.org");
  g_assert_cmpuint (s->port, ==, 110);
  g_assert_cmpint (s->security, ==, KURIR_SECURITY_STARTTLS);
  g_assert_cmpstr (s->user, ==, "jane.doe");

  s = g_ptr_array_index (settings, 2);
  g_assert_cmpint (s->protocol, ==, KURIR_PROTOCOL_SMTP);
  g_assert_cmpstr (s->host, ==, "smtp.example.org");
  g_assert_cmpuint (s->port, ==, 587);
}

static void
test_parse_bad_values (void)
{
  static const char *bad[] = {
    /* a port out of range, a host with a space, a host with a slash,
     * an unknown socket type, no port */
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a.org</hostname>"
    "<port>70000</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>",
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a b.org</hostname>"
    "<port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>",
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a.org/x</hostname>"
    "<port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>",
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a.org</hostname>"
    "<port>993</port><socketType>maybe</socketType></incomingServer></emailProvider></clientConfig>",
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a.org</hostname>"
    "<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>",
    /* not the format at all */
    "<html><body>Not found</body></html>",
    "not xml at all",
    "<clientConfig><emailProvider><incomingServer type=\"imap\">",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) settings = parse (bad[i], &error);

      g_test_message ("case %u", i);
      g_assert_null (settings);
      g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
    }
}

static void
test_parse_billion_laughs (void)
{
  static const char xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE clientConfig [\n"
    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
    "]>\n"
    "<clientConfig><emailProvider><incomingServer type=\"imap\">"
    "<hostname>&g;</hostname><port>993</port><socketType>SSL</socketType>"
    "</incomingServer></emailProvider></clientConfig>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = NULL;
  gint64 start = g_get_monotonic_time ();

  settings = parse (xml, &error);
  g_assert_null (settings);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  /* Refused without expanding 16^6 * 49 bytes. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

static void
test_parse_external_entity (void)
{
  g_autofree char *secret_path = g_build_filename (g_get_tmp_dir (), "kurir-xxe-secret", NULL);
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = NULL;

  g_assert_true (g_file_set_contents (secret_path, "leaked.example.org", -1, NULL));
  xml = g_strdup_printf ("<?xml version=\"1.0\"?>\n"
                         "<!DOCTYPE clientConfig [ <!ENTITY xxe SYSTEM \"file://%s\"> ]>\n"
                         "<clientConfig><emailProvider><incomingServer type=\"imap\">"
                         "<hostname>&xxe;</hostname><port>993</port><socketType>SSL</socketType>"
                         "</incomingServer></emailProvider></clientConfig>\n", secret_path);
  settings = parse (xml, &error);
  g_assert_null (settings);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  g_remove (secret_path);
}

static void
test_parse_entity_without_doctype (void)
{
  /* An undeclared entity: not well-formed, and never looked up. */
  static const char xml[] =
    "<clientConfig><emailProvider><incomingServer type=\"imap\">"
    "<hostname>imap.&foo;.org</hostname><port>993</port><socketType>SSL</socketType>"
    "</incomingServer></emailProvider></clientConfig>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = parse (xml, &error);

  if (settings != NULL)
    {
      /* libxml2 may recover; the entity must not have become text. */
      for (guint i = 0; i < settings->len; i++)
        g_assert_null (strstr (((KurirServerSetting *) g_ptr_array_index (settings, i))->host, "foo"));
    }
}

static void
test_parse_huge (void)
{
  gsize size = KURIR_AUTOCONFIG_MAX_SIZE + 1;
  g_autofree char *xml = g_malloc (size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settings = NULL;
  GString *deep = g_string_new ("<clientConfig><emailProvider>");

  memset (xml, ' ', size);
  memcpy (xml, good_config, strlen (good_config));
  settings = kurir_autoconfig_parse (xml, size, "a@example.org", &error);
  g_assert_null (settings);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);

  /* Deep nesting under the limit: refused or parsed, never a crash. */
  for (guint i = 0; i < 20000; i++)
    g_string_append (deep, "<x>");
  settings = kurir_autoconfig_parse (deep->str, deep->len, "a@example.org", &error);
  g_assert_null (settings);
  g_assert_nonnull (error);
  g_string_free (deep, TRUE);
}

/* SRV */

static void
test_srv (void)
{
  g_autoptr(TestResolver) resolver = g_object_new (TEST_TYPE_RESOLVER, NULL);
  g_autoptr(GResolver) saved = g_resolver_get_default ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) settings = NULL;
  g_autoptr(GError) error = NULL;
  const KurirServerSetting *s;

  g_hash_table_insert (resolver->records, g_strdup ("_imaps._tcp.example.org"),
                       g_strdup ("imap2.example.org,993,20;imap1.example.org,993,10"));
  g_hash_table_insert (resolver->records, g_strdup ("_imap._tcp.example.org"),
                       g_strdup ("imap1.example.org,143,0"));
  /* RFC 6186: "." means not offered. */
  g_hash_table_insert (resolver->records, g_strdup ("_pop3s._tcp.example.org"),
                       g_strdup (".,0,0"));
  g_hash_table_insert (resolver->records, g_strdup ("_submissions._tcp.example.org"),
                       g_strdup ("smtp.example.org,465,0"));
  g_hash_table_insert (resolver->records, g_strdup ("_submission._tcp.example.org"),
                       g_strdup ("bad host!,587,0"));
  g_resolver_set_default (G_RESOLVER (resolver));

  kurir_autoconfig_lookup_srv_async ("example.org", NULL, kurir_test_store_result, &result);
  settings = kurir_autoconfig_lookup_srv_finish (kurir_test_wait (&result), &error);
  g_resolver_set_default (saved);

  g_assert_no_error (error);
  g_assert_cmpuint (resolver->queries->len, ==, 6);
  g_assert_true (g_ptr_array_find_with_equal_func (resolver->queries, "_pop3._tcp.example.org",
                                                   g_str_equal, NULL));
  g_assert_cmpuint (settings->len, ==, 4);

  /* Best first: IMAP implicit TLS by SRV priority, then STARTTLS. */
  s = g_ptr_array_index (settings, 0);
  g_assert_cmpint (s->protocol, ==, KURIR_PROTOCOL_IMAP);
  g_assert_cmpstr (s->host, ==, "imap1.example.org");
  g_assert_cmpuint (s->port, ==, 993);
  g_assert_cmpint (s->security, ==, KURIR_SECURITY_TLS);
  g_assert_cmpint (s->source, ==, KURIR_DISCOVERY_SOURCE_SRV);
  s = g_ptr_array_index (settings, 1);
  g_assert_cmpstr (s->host, ==, "imap2.example.org");
  s = g_ptr_array_index (settings, 2);
  g_assert_cmpint (s->security, ==, KURIR_SECURITY_STARTTLS);
  g_assert_cmpuint (s->port, ==, 143);
  s = g_ptr_array_index (settings, 3);
  g_assert_cmpint (s->protocol, ==, KURIR_PROTOCOL_SMTP);
  g_assert_cmpint (s->security, ==, KURIR_SECURITY_TLS);
  g_assert_cmpuint (s->port, ==, 465);
  g_assert_null (find (settings, KURIR_PROTOCOL_POP3, KURIR_SECURITY_TLS));
}

/* The whole discovery with SRV as the only source (no network). */
static void
test_discover_srv_only (void)
{
  g_autoptr(TestResolver) resolver = g_object_new (TEST_TYPE_RESOLVER, NULL);
  g_autoptr(GResolver) saved = g_resolver_get_default ();
  g_autoptr(KurirAutoconfig) autoconfig = kurir_autoconfig_new ("me@example.net");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  const KurirServerSetting *best;

  g_hash_table_insert (resolver->records, g_strdup ("_pop3s._tcp.example.net"),
                       g_strdup ("pop.example.net,995,0"));
  g_hash_table_insert (resolver->records, g_strdup ("_imap._tcp.example.net"),
                       g_strdup ("mail.example.net,143,0"));
  g_resolver_set_default (G_RESOLVER (resolver));

  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROVIDER | KURIR_DISCOVERY_SOURCE_SRV);
  kurir_autoconfig_discover_async (autoconfig, NULL, kurir_test_store_result, &result);
  discovery = kurir_autoconfig_discover_finish (autoconfig, kurir_test_wait (&result), &error);
  g_resolver_set_default (saved);

  g_assert_no_error (error);
  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_IMAP);
  g_assert_nonnull (best);
  g_assert_cmpstr (best->host, ==, "mail.example.net");
  best = kurir_discovery_get_best (discovery, KURIR_PROTOCOL_POP3);
  g_assert_cmpstr (best->host, ==, "pop.example.net");
  g_assert_null (kurir_discovery_get_best (discovery, KURIR_PROTOCOL_SMTP));
  g_assert_false (kurir_discovery_needs_plaintext_warning (discovery, KURIR_PROTOCOL_IMAP));
}

static void
test_discover_provider (void)
{
  g_autoptr(KurirAutoconfig) autoconfig = kurir_autoconfig_new ("me@fastmail.com");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;

  kurir_autoconfig_discover_async (autoconfig, NULL, kurir_test_store_result, &result);
  discovery = kurir_autoconfig_discover_finish (autoconfig, kurir_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (discovery->provider, ==, "Fastmail");
  g_assert_cmpstr (kurir_discovery_get_best (discovery, KURIR_PROTOCOL_IMAP)->host, ==, "imap.fastmail.com");
  g_assert_cmpstr (kurir_discovery_get_best (discovery, KURIR_PROTOCOL_SMTP)->host, ==, "smtp.fastmail.com");
}

static void
test_discover_not_an_address (void)
{
  g_autoptr(KurirAutoconfig) autoconfig = kurir_autoconfig_new ("nobody");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;

  kurir_autoconfig_discover_async (autoconfig, NULL, kurir_test_store_result, &result);
  discovery = kurir_autoconfig_discover_finish (autoconfig, kurir_test_wait (&result), &error);
  g_assert_null (discovery);
  g_assert_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID);
}

/* Ranking */

static void
test_ranking (void)
{
  g_autoptr(GPtrArray) settings = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  KurirServerSetting *s;
  g_autoptr(KurirDiscovery) discovery = g_new0 (KurirDiscovery, 1);

  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "plain.example.org", 143,
                                                       KURIR_SECURITY_NONE, NULL, KURIR_DISCOVERY_SOURCE_PROVIDER));
  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "probe.example.org", 143,
                                                       KURIR_SECURITY_STARTTLS, NULL, KURIR_DISCOVERY_SOURCE_PROBE));
  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "srv.example.org", 143,
                                                       KURIR_SECURITY_STARTTLS, NULL, KURIR_DISCOVERY_SOURCE_SRV));
  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "srv.example.org", 993,
                                                       KURIR_SECURITY_TLS, NULL, KURIR_DISCOVERY_SOURCE_SRV));
  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "auto.example.org", 143,
                                                       KURIR_SECURITY_STARTTLS, NULL, KURIR_DISCOVERY_SOURCE_AUTOCONFIG));
  /* The same server twice: kept once, and a probe's confirmation kept. */
  s = kurir_server_setting_new (KURIR_PROTOCOL_IMAP, "AUTO.example.org", 143,
                                KURIR_SECURITY_STARTTLS, "u", KURIR_DISCOVERY_SOURCE_PROBE);
  s->verified = TRUE;
  g_ptr_array_add (settings, s);
  g_ptr_array_add (settings, kurir_server_setting_new (KURIR_PROTOCOL_SMTP, "smtp.example.org", 587,
                                                       KURIR_SECURITY_NONE, NULL, KURIR_DISCOVERY_SOURCE_PROBE));

  kurir_server_settings_sort (settings);
  g_assert_cmpuint (settings->len, ==, 6);

  s = g_ptr_array_index (settings, 0);
  g_assert_cmpstr (s->host, ==, "auto.example.org");
  g_assert_true (s->verified);
  g_assert_cmpstr (s->user, ==, "u");
  s = g_ptr_array_index (settings, 1);
  g_assert_cmpstr (s->host, ==, "srv.example.org");
  g_assert_cmpuint (s->port, ==, 993);   /* implicit TLS above STARTTLS, same source */
  s = g_ptr_array_index (settings, 2);
  g_assert_cmpuint (s->port, ==, 143);
  s = g_ptr_array_index (settings, 3);
  g_assert_cmpstr (s->host, ==, "probe.example.org");
  s = g_ptr_array_index (settings, 4);
  g_assert_cmpstr (s->host, ==, "plain.example.org");   /* plaintext last, even from the table */

  discovery->settings = g_ptr_array_ref (settings);
  g_assert_false (kurir_discovery_needs_plaintext_warning (discovery, KURIR_PROTOCOL_IMAP));
  g_assert_true (kurir_discovery_needs_plaintext_warning (discovery, KURIR_PROTOCOL_SMTP));
  g_assert_false (kurir_discovery_needs_plaintext_warning (discovery, KURIR_PROTOCOL_POP3));
}

/* Probes against scripted servers that offer no STARTTLS: found, but
 * only as plaintext, behind the warning; nothing like a login is sent. */
static void
test_probe_plaintext_only (void)
{
  static const KurirScriptStep imap[] = {
    { NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plain only\r\n" },
    /* A greeting's capabilities may be partial: the client asks again. */
    { "A0001 CAPABILITY", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA0001 OK done\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  static const KurirScriptStep pop3[] = {
    { NULL, "+OK plain only\r\n" },
    { "CAPA", "+OK\r\nUSER\r\nUIDL\r\n.\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  static const KurirScriptStep smtp[] = {
    { NULL, "220 plain.example.test ESMTP\r\n" },
    { "EHLO", "250-plain.example.test\r\n250 AUTH PLAIN\r\n" },
    { "", NULL },
    { NULL, NULL },
  };
  KurirScriptedServer *servers[3];
  g_autoptr(KurirAutoconfig) autoconfig = kurir_autoconfig_new ("me@example.net");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KurirDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  const KurirServerSetting *best;

  servers[0] = kurir_scripted_server_start (imap);
  servers[1] = kurir_scripted_server_start (pop3);
  servers[2] = kurir_scripted_server_start (smtp);
  kurir_autoconfig_set_sources (autoconfig, KURIR_DISCOVERY_SOURCE_PROBE);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_IMAP, "127.0.0.1",
                                     kurir_scripted_server_get_port (servers[0]), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_POP3, "127.0.0.1",
                                     kurir_scripted_server_get_port (servers[1]), KURIR_SECURITY_STARTTLS);
  kurir_autoconfig_add_probe_target (autoconfig, KURIR_PROTOCOL_SMTP, "127.0.0.1",
                                     kurir_scripted_server_get_port (servers[2]), KURIR_SECURITY_STARTTLS);

  kurir_autoconfig_discover_async (autoconfig, NULL, kurir_test_store_result, &result);
  discovery = kurir_autoconfig_discover_finish (autoconfig, kurir_test_wait (&result), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    {
      KurirProtocol protocol = i == 0 ? KURIR_PROTOCOL_IMAP : i == 1 ? KURIR_PROTOCOL_POP3 : KURIR_PROTOCOL_SMTP;
      const char *received;

      best = kurir_discovery_get_best (discovery, protocol);
      g_assert_nonnull (best);
      g_assert_cmpint (best->security, ==, KURIR_SECURITY_NONE);
      g_assert_true (best->verified);
      g_assert_true (kurir_discovery_needs_plaintext_warning (discovery, protocol));

      kurir_scripted_server_join (servers[i]);
      received = kurir_scripted_server_get_received (servers[i]);
      g_assert_null (strstr (received, "LOGIN"));
      g_assert_null (strstr (received, "AUTH"));
      g_assert_null (strstr (received, "USER"));
      kurir_scripted_server_stop (servers[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/autoconfig/providers/gmail", test_providers_gmail);
  g_test_add_func ("/autoconfig/providers/many", test_providers_many);
  g_test_add_func ("/autoconfig/providers/unknown", test_providers_unknown);
  g_test_add_func ("/autoconfig/email-domain", test_email_domain);
  g_test_add_func ("/autoconfig/parse/good", test_parse_good);
  g_test_add_func ("/autoconfig/parse/bad-values", test_parse_bad_values);
  g_test_add_func ("/autoconfig/parse/billion-laughs", test_parse_billion_laughs);
  g_test_add_func ("/autoconfig/parse/external-entity", test_parse_external_entity);
  g_test_add_func ("/autoconfig/parse/entity-without-doctype", test_parse_entity_without_doctype);
  g_test_add_func ("/autoconfig/parse/huge", test_parse_huge);
  g_test_add_func ("/autoconfig/srv", test_srv);
  g_test_add_func ("/autoconfig/discover/srv-only", test_discover_srv_only);
  g_test_add_func ("/autoconfig/discover/provider", test_discover_provider);
  g_test_add_func ("/autoconfig/discover/not-an-address", test_discover_not_an_address);
  g_test_add_func ("/autoconfig/ranking", test_ranking);
  g_test_add_func ("/autoconfig/probe/plaintext-only", test_probe_plaintext_only);

  return g_test_run ();
}
