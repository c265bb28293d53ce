/*
 * One negative case per MUST-level rule (stix-validator-cases.md and STIX 2.1
 * §2-§7): start from a valid object of the type, change one thing, expect
 * -LSN_EINVAL and a message naming the property. SHOULD-level cases must pass.
 * JSON here is written with ' for " to keep it readable; fix_quotes() swaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stix/stix.h"
#include "util/err.h"

#define UUID "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define TS "2016-04-06T20:03:48.000Z"
#define HEAD(t) "'type':'" t "','spec_version':'2.1','id':'" t "--" UUID "'"
#define SDO(t) HEAD(t) ",'created':'" TS "','modified':'" TS "'"
#define REF(t) "'" t "--" UUID "'"
#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP2_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP1_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

struct base {
	const char *name;
	const char *json;
};

/* A minimal valid object of every type the validator has a table for. */
static const struct base bases[] = {
	{ "attack-pattern", "{" SDO("attack-pattern") ",'name':'Spear Phishing'}" },
	{ "campaign", "{" SDO("campaign") ",'name':'Green Group Attacks'}" },
	{ "course-of-action", "{" SDO("course-of-action") ",'name':'Add TCP port 80 filter'}" },
	{ "grouping", "{" SDO("grouping") ",'context':'suspicious-activity','object_refs':["
	    REF("indicator") "]}" },
	{ "identity", "{" SDO("identity") ",'name':'ACME','identity_class':'organization'}" },
	{ "incident", "{" SDO("incident") ",'name':'Breach'}" },
	{ "indicator", "{" SDO("indicator") ",'pattern':'[network-traffic:dst_port = 443]',"
	    "'pattern_type':'stix','valid_from':'" TS "'}" },
	{ "infrastructure", "{" SDO("infrastructure") ",'name':'Poison Ivy C2'}" },
	{ "intrusion-set", "{" SDO("intrusion-set") ",'name':'Bobcat Breakin'}" },
	{ "location", "{" SDO("location") ",'region':'south-eastern-asia'}" },
	{ "malware", "{" SDO("malware") ",'name':'Cryptolocker','is_family':true}" },
	{ "malware-analysis", "{" SDO("malware-analysis") ",'product':'clamav','result':'malicious'}" },
	{ "note", "{" SDO("note") ",'content':'Seen before.','object_refs':[" REF("campaign") "]}" },
	{ "observed-data", "{" SDO("observed-data") ",'first_observed':'" TS "','last_observed':'"
	    TS "','number_observed':50,'object_refs':[" REF("ipv4-addr") "]}" },
	{ "opinion", "{" SDO("opinion") ",'opinion':'agree','object_refs':[" REF("indicator") "]}" },
	{ "report", "{" SDO("report") ",'name':'The Black Vine Group','published':'" TS
	    "','object_refs':[" REF("indicator") "]}" },
	{ "threat-actor", "{" SDO("threat-actor") ",'name':'Evil Org'}" },
	{ "tool", "{" SDO("tool") ",'name':'VNC'}" },
	{ "vulnerability", "{" SDO("vulnerability") ",'name':'CVE-2016-1234'}" },
	{ "relationship", "{" SDO("relationship") ",'relationship_type':'uses','source_ref':"
	    REF("malware") ",'target_ref':" REF("tool") "}" },
	{ "sighting", "{" SDO("sighting") ",'sighting_of_ref':" REF("indicator") "}" },
	{ "marking-definition", "{" HEAD("marking-definition") ",'created':'" TS
	    "','definition_type':'statement','definition':{'statement':'Copyright ACME'}}" },
	{ "tlp1-red", "{'type':'marking-definition','spec_version':'2.1','id':'" TLP1_RED
	    "','created':'2017-01-20T00:00:00.000Z','name':'TLP:RED','definition_type':'tlp',"
	    "'definition':{'tlp':'red'}}" },
	{ "tlp2-amber", "{'type':'marking-definition','spec_version':'2.1','id':'" TLP2_AMBER
	    "','created':'2022-10-01T00:00:00.000Z','name':'TLP:AMBER','extensions':{'"
	    TLP2_EXT "':{'extension_type':'property-extension','tlp_2_0':'amber'}}}" },
	{ "language-content", "{" SDO("language-content") ",'object_ref':" REF("campaign")
	    ",'object_modified':'" TS "','contents':{'de':{'name':'Bank Angriff'}}}" },
	{ "extension-definition", "{" SDO("extension-definition") ",'created_by_ref':"
	    REF("identity") ",'name':'ext','schema':'https://example.com/s.json','version':'1.0',"
	    "'extension_types':['property-extension']}" },
	{ "artifact", "{" HEAD("artifact") ",'payload_bin':'aGVsbG8gd29ybGQ='}" },
	{ "autonomous-system", "{" HEAD("autonomous-system") ",'number':15139}" },
	{ "directory", "{" HEAD("directory") ",'path':'C:\\\\Windows'}" },
	{ "domain-name", "{" HEAD("domain-name") ",'value':'example.com'}" },
	{ "email-addr", "{" HEAD("email-addr") ",'value':'john@example.com'}" },
	{ "email-message", "{" HEAD("email-message") ",'is_multipart':false,'body':'Hi'}" },
	{ "file", "{" HEAD("file") ",'name':'foo.dll','hashes':{'SHA-256':'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'}}" },
	{ "ipv4-addr", "{" HEAD("ipv4-addr") ",'value':'198.51.100.0/24'}" },
	{ "ipv6-addr", "{" HEAD("ipv6-addr") ",'value':'2001:db8::/96'}" },
	{ "mac-addr", "{" HEAD("mac-addr") ",'value':'d2:fb:49:24:37:18'}" },
	{ "mutex", "{" HEAD("mutex") ",'name':'__CLEANSWEEP__'}" },
	{ "network-traffic", "{" HEAD("network-traffic") ",'src_ref':" REF("ipv4-addr")
	    ",'src_port':223,'protocols':['ip','tcp']}" },
	{ "process", "{" HEAD("process") ",'pid':1221}" },
	{ "software", "{" HEAD("software") ",'name':'Word','vendor':'Microsoft'}" },
	{ "url", "{" HEAD("url") ",'value':'https://example.com/research/index.html'}" },
	{ "user-account", "{" HEAD("user-account") ",'user_id':'1001','account_login':'jdoe'}" },
	{ "windows-registry-key", "{" HEAD("windows-registry-key")
	    ",'key':'HKEY_LOCAL_MACHINE\\\\System\\\\Foo','values':[{'name':'Foo','data':'qwerty',"
	    "'data_type':'REG_SZ'}]}" },
	{ "x509-certificate", "{" HEAD("x509-certificate") ",'serial_number':'36:f7:d4'}" },
	{ "custom", "{" SDO("x-mitre-tactic") ",'name':'Initial Access','x_mitre_shortname':"
	    "'initial-access','tactic_refs':[" REF("x-mitre-tactic") "]}" },
	{ "custom-sco", "{'type':'x-acme-device','id':'x-acme-device--" UUID "','serial':'42',"
	    "'extensions':{'extension-definition--" UUID "':{'extension_type':'new-sco'}}}" },
};

struct rcase {
	const char *base;
	const char *patch;      /* members set; a key "-x" deletes x */
	const char *want1;      /* NULL: the patched object must be valid */
	const char *want2;
};

#define LONG251 "x_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TYPE251 "x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct rcase cases[] = {
	/* Timestamps (§3.2): real calendar values, ordering at full precision. */
	{ "identity", "{'created':'2016-13-01T00:00:00.000Z'}", "'created'", "not a real date" },
	{ "identity", "{'created':'2016-01-32T00:00:00.000Z'}", "'created'", "not a real date" },
	{ "identity", "{'created':'2016-01-00T00:00:00.000Z'}", "'created'", "not a real date" },
	{ "identity", "{'created':'2016-11-31T00:00:00.000Z'}", "'created'", "not a real date" },
	{ "identity", "{'created':'2016-04-31T00:00:00.000Z'}", "'created'", "not a real date" },
	{ "identity", "{'modified':'2016-02-30T00:00:00.000Z'}", "'modified'", "not a real date" },
	{ "identity", "{'modified':'2016-04-06T99:03:48.000Z'}", "'modified'", "not a real date" },
	{ "identity", "{'modified':'2016-04-06T20:99:48.000Z'}", "'modified'", "not a real date" },
	{ "identity", "{'modified':'2016-04-06 20:03:48.000Z'}", "'modified'", "of the form" },
	{ "identity", "{'modified':'2016-04-06T20:03:48.000+00:00'}", "'modified'", "timestamp" },
	{ "identity", "{'created':'2016-04-06T20:03:48Z','modified':'2016-04-06T20:03:48Z'}",
	  "'created'", "millisecond" },
	{ "identity", "{'created':'2016-04-06T20:03:48.000123Z','modified':'2016-04-06T20:03:48.000Z'}",
	  "'modified'", "earlier than 'created'" },
	{ "identity", "{'created':'2016-04-06T20:03:48.000123Z','modified':'2016-04-06T20:03:48.001Z'}",
	  NULL, NULL },
	{ "identity", "{'modified':'2015-04-06T20:03:48.000Z'}", "'modified'", "earlier than" },
	{ "campaign", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2016-04-06T20:03:47Z'}",
	  "'last_seen'", "earlier than 'first_seen'" },
	{ "intrusion-set", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2015-04-06T20:03:48Z'}",
	  "'last_seen'", "first_seen" },
	{ "malware", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2015-04-06T20:03:48Z'}",
	  "'last_seen'", "first_seen" },
	{ "threat-actor", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2015-04-06T20:03:48Z'}",
	  "'last_seen'", "first_seen" },
	{ "infrastructure", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2015-04-06T20:03:48Z'}",
	  "'last_seen'", "first_seen" },
	{ "sighting", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2015-04-06T20:03:48Z'}",
	  "'last_seen'", "first_seen" },
	{ "campaign", "{'first_seen':'2016-04-06T20:03:48Z','last_seen':'2016-04-06T20:03:48Z'}",
	  NULL, NULL },
	{ "indicator", "{'valid_until':'" TS "'}", "'valid_until'", "later than 'valid_from'" },
	{ "indicator", "{'valid_until':'2016-04-06T20:03:48.001Z'}", NULL, NULL },
	{ "relationship", "{'start_time':'2016-04-06T20:03:48Z','stop_time':'2016-04-06T20:03:48Z'}",
	  "'stop_time'", "later than 'start_time'" },
	{ "observed-data", "{'last_observed':'2016-04-06T20:03:47.999Z'}", "'last_observed'",
	  "first_observed" },
	{ "network-traffic", "{'start':'2016-04-06T20:03:48Z','end':'2016-04-06T20:03:47Z'}", "'end'",
	  "earlier than 'start'" },
	{ "report", "{'published':'2016-02-29T25:00:00Z'}", "'published'", "not a real date" },
	{ "malware-analysis", "{'submitted':'2016-02-30T00:00:00Z'}", "'submitted'", "real date" },
	{ "file", "{'extensions':{'windows-pebinary-ext':{'pe_type':'exe','time_date_stamp':"
	  "'2016-13-01T07:46:24Z'}}}", "'extensions.windows-pebinary-ext.time_date_stamp'", "real date" },
	{ "user-account", "{'account_created':'2016-00-01T00:00:00Z'}", "'account_created'", "real" },

	/* Identifiers and type names (§2.9, §3.1). */
	{ "indicator", "{'id':'something--" UUID "'}", "'id'", "does not match the object type" },
	{ "tool", "{'id':'tool--blablabla'}", "'id'", "RFC 4122" },
	{ "tool", "{'id':'tool--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f'}", "'id'", "RFC 4122" },
	{ "tool", "{'id':'tool--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f'}", "'id'", "RFC 4122" },
	{ "tool", "{'id':'tool--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0'}", "'id'", "RFC 4122" },
	{ "tool", "{'id':'tool-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'}", "'id'", "RFC 4122" },
	{ "indicator", "{'type':'incident'}", "'id'", "does not match" },
	{ "tool", "{'-id':0}", "'id'", "required" },
	{ "tool", "{'id':42}", "'id'", "string" },
	{ "tool", "{'-type':0}", "'type'", "required" },
	{ "tool", "{'type':7}", "'type'", "string" },
	{ "custom", "{'type':'action','id':'action--" UUID "'}", "'type'", "reserved" },
	{ "custom", "{'type':'x_custom','id':'x_custom--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'x-c@stom','id':'x-c@stom--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'X-custom','id':'X-custom--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'xy','id':'xy--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'1x-thing','id':'1x-thing--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'x--thing','id':'x--thing--" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'x-thing-','id':'x-thing---" UUID "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'" TYPE251 "'}", "'type'", "valid type name" },
	{ "custom", "{'type':'bundle','id':'bundle--" UUID "'}", "'type'", "bundle" },
	{ "custom", "{'type':'x-acme-thing','id':'x-acme-thing--" UUID "'}", NULL, NULL },

	/* Custom and reserved property names (§3.1, §11.1). */
	{ "identity", "{'my_new_property!':'x'}", "'my_new_property!'", "property name" },
	{ "identity", "{'mp':'x'}", "'mp'", "3-250 characters" },
	{ "identity", "{'" LONG251 "':'x'}", "'x_aaaa", "3-250 characters" },
	{ "identity", "{'1abc':'x'}", "'1abc'", "not starting with a digit" },
	{ "identity", "{'x-hyphen':'x'}", "'x-hyphen'", "property name" },
	{ "identity", "{'X_upper':'x'}", "'X_upper'", "property name" },
	{ "identity", "{'severity':'high'}", "'severity'", "reserved" },
	{ "identity", "{'action':'block'}", "'action'", "reserved" },
	{ "identity", "{'usernames':['a']}", "'usernames'", "reserved" },
	{ "identity", "{'username':'a'}", "'username'", "reserved" },
	{ "identity", "{'phone_numbers':['1']}", "'phone_numbers'", "reserved" },
	{ "file", "{'action':'x'}", "'action'", "reserved" },
	{ "identity", "{'x_acme_null':null}", "'x_acme_null'", "null" },
	{ "identity", "{'foo':'bar','x_mitre_version':'1.0','x_capec_domains':['a']}", NULL, NULL },

	/* Empty lists (§2.12) and value types. */
	{ "campaign", "{'aliases':[]}", "'aliases'", "empty list" },
	{ "identity", "{'labels':[]}", "'labels'", "empty list" },
	{ "identity", "{'x_acme_list':[]}", "'x_acme_list'", "empty list" },
	{ "report", "{'object_refs':[]}", "'object_refs'", "empty list" },
	{ "identity", "{'labels':'a'}", "'labels'", "list of strings" },
	{ "identity", "{'labels':['a',3]}", "'labels[1]'", "string" },
	{ "malware", "{'is_family':'true'}", "'is_family'", "boolean" },
	{ "identity", "{'revoked':'yes'}", "'revoked'", "boolean" },
	{ "identity", "{'confidence':101}", "'confidence'", "at most 100" },
	{ "identity", "{'confidence':-1}", "'confidence'", "at least 0" },
	{ "identity", "{'confidence':'50'}", "'confidence'", "integer" },
	{ "identity", "{'confidence':50.5}", "'confidence'", "integer" },
	{ "identity", "{'lang':5}", "'lang'", "string" },
	{ "identity", "{'name':null}", "'name'", "string" },
	{ "identity", "{'created_by_ref':" REF("malware") "}", "'created_by_ref'", "an identity" },
	{ "identity", "{'created_by_ref':'identity--x'}", "'created_by_ref'", "identifier" },
	{ "identity", "{'external_references':{'source_name':'x'}}", "'external_references'", "list" },
	{ "identity", "{'external_references':[{'url':'https://x'}]}",
	  "'external_references[0].source_name'", "required" },
	{ "identity", "{'external_references':[{'source_name':'acme'}]}",
	  "'external_references[0]'", "'description', 'url', 'external_id'" },
	{ "identity", "{'external_references':[{'source_name':'capec','external_id':'capec-1'}]}",
	  NULL, NULL },
	{ "identity", "{'external_references':[{'source_name':'CVE','external_id':'2016-1'}]}",
	  NULL, NULL },
	{ "attack-pattern", "{'kill_chain_phases':[{'kill_chain_name':'lockheed'}]}",
	  "'kill_chain_phases[0].phase_name'", "required" },
	{ "attack-pattern", "{'kill_chain_phases':[{'kill_chain_name':'Some thing','phase_name':"
	  "'some_thing'}]}", NULL, NULL },

	/* Vocabularies are SHOULD: never fail. */
	{ "identity", "{'identity_class':'corporation','sectors':['something']}", NULL, NULL },
	{ "indicator", "{'indicator_types':['suspicious'],'pattern_type':'zeek'}", NULL, NULL },
	{ "malware", "{'malware_types':['evil'],'capabilities':['x']}", NULL, NULL },
	{ "threat-actor", "{'sophistication':'high','primary_motivation':'selfishness'}", NULL, NULL },
	{ "location", "{'region':'global','country':'xx'}", NULL, NULL },
	{ "relationship", "{'relationship_type':'mitigates'}", NULL, NULL },

	/* spec_version (§3.2): 2.1 only; optional on SCOs. */
	{ "identity", "{'-spec_version':0}", "'spec_version'", "STIX 2.0" },
	{ "identity", "{'spec_version':'2.0'}", "'spec_version'", "STIX 2.0" },
	{ "identity", "{'spec_version':'2.2'}", "'spec_version'", "only \"2.1\"" },
	{ "identity", "{'spec_version':2.1}", "'spec_version'", "string" },
	{ "ipv4-addr", "{'-spec_version':0}", NULL, NULL },
	{ "ipv4-addr", "{'spec_version':'2.0'}", "'spec_version'", "STIX 2.0" },
	{ "marking-definition", "{'-spec_version':0}", "'spec_version'", "STIX 2.0" },
	{ "custom", "{'-spec_version':0}", "'spec_version'", "STIX 2.0" },

	/* Required properties of every SDO, SRO and meta object (OASIS schemas). */
	{ "identity", "{'-created':0}", "'created'", "required for type 'identity'" },
	{ "identity", "{'-modified':0}", "'modified'", "required for type 'identity'" },
	{ "attack-pattern", "{'-name':0}", "'name'", "required" },
	{ "campaign", "{'-name':0}", "'name'", "required" },
	{ "course-of-action", "{'-name':0}", "'name'", "required" },
	{ "grouping", "{'-context':0}", "'context'", "required" },
	{ "grouping", "{'-object_refs':0}", "'object_refs'", "required" },
	{ "identity", "{'-name':0}", "'name'", "required" },
	{ "incident", "{'-name':0}", "'name'", "required" },
	{ "indicator", "{'-pattern':0}", "'pattern'", "required" },
	{ "indicator", "{'-pattern_type':0}", "'pattern_type'", "required" },
	{ "indicator", "{'-valid_from':0}", "'valid_from'", "required" },
	{ "infrastructure", "{'-name':0}", "'name'", "required" },
	{ "intrusion-set", "{'-name':0}", "'name'", "required" },
	{ "location", "{'-region':0}", "'region', 'country'", "required" },
	{ "malware", "{'-is_family':0}", "'is_family'", "required" },
	{ "malware", "{'-name':0}", "'name'", "'is_family' is true" },
	{ "malware", "{'-name':0,'is_family':false}", NULL, NULL },
	{ "malware-analysis", "{'-product':0}", "'product'", "required" },
	{ "malware-analysis", "{'-result':0}", "'result', 'analysis_sco_refs'", "at least one" },
	{ "note", "{'-content':0}", "'content'", "required" },
	{ "note", "{'-object_refs':0}", "'object_refs'", "required" },
	{ "observed-data", "{'-first_observed':0}", "'first_observed'", "required" },
	{ "observed-data", "{'-last_observed':0}", "'last_observed'", "required" },
	{ "observed-data", "{'-number_observed':0}", "'number_observed'", "required" },
	{ "observed-data", "{'-object_refs':0}", "'objects', 'object_refs'", "exactly one" },
	{ "opinion", "{'-opinion':0}", "'opinion'", "required" },
	{ "opinion", "{'-object_refs':0}", "'object_refs'", "required" },
	{ "report", "{'-name':0}", "'name'", "required" },
	{ "report", "{'-published':0}", "'published'", "required" },
	{ "report", "{'-object_refs':0}", "'object_refs'", "required" },
	{ "threat-actor", "{'-name':0}", "'name'", "required" },
	{ "tool", "{'-name':0}", "'name'", "required" },
	{ "vulnerability", "{'-name':0}", "'name'", "required" },
	{ "relationship", "{'-relationship_type':0}", "'relationship_type'", "required" },
	{ "relationship", "{'-source_ref':0}", "'source_ref'", "required" },
	{ "relationship", "{'-target_ref':0}", "'target_ref'", "required" },
	{ "sighting", "{'-sighting_of_ref':0}", "'sighting_of_ref'", "required" },
	{ "language-content", "{'-object_ref':0}", "'object_ref'", "required" },
	{ "language-content", "{'-contents':0}", "'contents'", "required" },
	{ "extension-definition", "{'-schema':0}", "'schema'", "required" },
	{ "extension-definition", "{'-extension_types':0}", "'extension_types'", "required" },
	{ "marking-definition", "{'-created':0}", "'created'", "required" },
	{ "custom", "{'-modified':0}", "'modified'", "required" },

	/* Other per-type MUSTs. */
	{ "indicator", "{'pattern':''}", "'pattern'", "empty string" },
	{ "indicator", "{'pattern':42}", "'pattern'", "string" },
	{ "location", "{'latitude':48.8}", "'longitude'", "required when 'latitude'" },
	{ "location", "{'latitude':91,'longitude':2}", "'latitude'", "at most 90" },
	{ "location", "{'precision':10.0}", "'latitude'", "required when 'precision'" },
	{ "location", "{'-region':0,'latitude':48.8,'longitude':2.3,'precision':100}", NULL, NULL },
	{ "opinion", "{'opinion':'maybe'}", "'opinion'", "not one of" },
	{ "observed-data", "{'number_observed':0}", "'number_observed'", "at least 1" },
	{ "observed-data", "{'number_observed':1000000000}", "'number_observed'", "at most" },
	{ "observed-data", "{'objects':'x'}", "'objects'", "dictionary" },
	{ "observed-data", "{'objects':{'0':{'type':'file','name':'a'}}}", "'objects', 'object_refs'",
	  "exactly one" },
	{ "observed-data", "{'object_refs':[" REF("malware") "]}", "'object_refs[0]'", "SCO or SRO" },
	{ "malware-analysis", "{'host_vm_ref':" REF("file") "}", "'host_vm_ref'", "a software" },
	{ "malware-analysis", "{'sample_ref':" REF("identity") "}", "'sample_ref'", "artifact" },
	{ "extension-definition", "{'extension_properties':['x_foo']}", "'extension_properties'",
	  "toplevel-property-extension" },
	{ "extension-definition", "{'extension_types':['toplevel-property-extension'],"
	  "'extension_properties':['x_foo']}", NULL, NULL },
	{ "extension-definition", "{'extension_types':['bogus']}", "'extension_types[0]'", "not one of" },
	{ "language-content", "{'object_ref':'language-content--" UUID "'}", "'object_ref'",
	  "language-content" },
	{ "language-content", "{'contents':{'d e':{'name':'x'}}}", "'contents'", "dictionary key" },
	{ "language-content", "{'contents':{}}", "'contents'", "empty dictionary" },

	/* Relationships and sightings (§5). */
	{ "relationship", "{'target_ref':'marking-definition--" UUID "'}", "'target_ref'",
	  "marking-definition" },
	{ "relationship", "{'source_ref':" REF("relationship") "}", "'source_ref'", "SDO or SCO" },
	{ "relationship", "{'source_ref':" REF("sighting") "}", "'source_ref'", "SDO or SCO" },
	{ "relationship", "{'target_ref':" REF("bundle") "}", "'target_ref'", "bundle" },
	{ "relationship", "{'target_ref':" REF("language-content") "}", "'target_ref'", "SDO or SCO" },
	{ "relationship", "{'target_ref':" REF("extension-definition") "}", "'target_ref'", "SDO" },
	{ "relationship", "{'target_ref':" REF("ipv4-addr") "}", NULL, NULL },
	{ "relationship", "{'target_ref':" REF("x-mitre-tactic") "}", NULL, NULL },
	{ "relationship", "{'relationship_type':'Uses'}", "'relationship_type'", "a-z, 0-9" },
	{ "relationship", "{'relationship_type':'uses it'}", "'relationship_type'", "a-z, 0-9" },
	{ "sighting", "{'sighting_of_ref':" REF("bundle") "}", "'sighting_of_ref'", "bundle" },
	{ "sighting", "{'sighting_of_ref':" REF("relationship") "}", "'sighting_of_ref'", "SDO" },
	{ "sighting", "{'observed_data_refs':[" REF("identity") "]}", "'observed_data_refs[0]'",
	  "observed-data" },
	{ "sighting", "{'where_sighted_refs':[" REF("malware") "]}", "'where_sighted_refs[0]'",
	  "identity or location" },
	{ "sighting", "{'where_sighted_refs':[" REF("location") "],'count':0}", NULL, NULL },
	{ "sighting", "{'count':-1}", "'count'", "at least 0" },

	/* Markings (§7.2). */
	{ "identity", "{'object_marking_refs':[" REF("identity") "]}", "'object_marking_refs[0]'",
	  "marking-definition" },
	{ "marking-definition", "{'object_marking_refs':[" REF("marking-definition") "]}",
	  "'object_marking_refs'", "must not mark itself" },
	{ "marking-definition", "{'granular_markings':[{'selectors':['definition'],'marking_ref':"
	  REF("marking-definition") "}]}", "'granular_markings[0].marking_ref'", "itself" },
	{ "identity", "{'granular_markings':[{'selectors':['name'],'marking_ref':'" TLP2_AMBER "'}]}",
	  NULL, NULL },
	{ "identity", "{'external_references':[{'source_name':'a','url':'u'}],'granular_markings':"
	  "[{'selectors':['external_references.[0].url'],'lang':'en'}]}", NULL, NULL },
	{ "identity", "{'granular_markings':[{'selectors':['description'],'marking_ref':'"
	  TLP2_AMBER "'}]}", "'granular_markings[0].selectors[0]'", "does not select" },
	{ "identity", "{'granular_markings':[{'selectors':['external_references.[3].url'],"
	  "'lang':'en'}]}", "'granular_markings[0].selectors[0]'", "does not select" },
	{ "identity", "{'granular_markings':[{'selectors':['name'],'marking_ref':'" TLP2_AMBER
	  "','lang':'en'}]}", "'granular_markings[0]'", "exactly one of the properties 'marking_ref'" },
	{ "identity", "{'granular_markings':[{'selectors':['name']}]}", "'granular_markings[0]'",
	  "exactly one" },
	{ "identity", "{'granular_markings':[{'selectors':[],'lang':'en'}]}",
	  "'granular_markings[0].selectors'", "empty list" },
	{ "identity", "{'granular_markings':[{'lang':'en'}]}", "'granular_markings[0].selectors'",
	  "required" },
	{ "tlp1-red", "{'definition':{'tlp':21}}", "'definition.tlp'", "white" },
	{ "tlp1-red", "{'definition':{'tlp':'purple'}}", "'definition.tlp'", "not a TLP 1.0 level" },
	{ "tlp1-red", "{'definition':{'tlp':'white'}}", "'id'", "fixed id" },
	{ "tlp1-red", "{'definition_type':'statement','definition':{'statement':'x'}}", "'id'",
	  "fixed id of TLP 1.0:red" },
	{ "tlp1-red", "{'-definition':0}", "'definition'", "required when 'definition_type'" },
	{ "tlp2-amber", "{'extensions':{'" TLP2_EXT "':{'extension_type':'property-extension',"
	  "'tlp_2_0':'purple'}}}", "tlp_2_0'", "amber+strict" },
	{ "tlp2-amber", "{'extensions':{'" TLP2_EXT "':{'extension_type':'property-extension',"
	  "'tlp_2_0':'red'}}}", "'id'", "fixed id" },
	{ "tlp2-amber", "{'extensions':{'" TLP2_EXT "':{'extension_type':'new-sdo',"
	  "'tlp_2_0':'amber'}}}", "extension_type'", "property-extension" },
	{ "tlp2-amber", "{'-extensions':0}", "'definition_type'", "required" },
	{ "tlp2-amber", "{'-extensions':0,'definition_type':'statement','definition':{'statement':"
	  "'x'}}", "'id'", "fixed id of TLP 2.0:amber" },
	{ "marking-definition", "{'id':'marking-definition--" UUID "','definition_type':'tlp',"
	  "'definition':{'tlp':'red'}}", "'id'", "fixed id" },
	{ "marking-definition", "{'-definition':0}", "'definition'", "required" },
	{ "marking-definition", "{'-definition_type':0}", "'definition_type'", "required" },
	{ "marking-definition", "{'definition':{'text':'x'}}", "'definition.statement'", "required" },
	{ "marking-definition", "{'definition_type':'acme','definition':{'text':'x'}}", NULL, NULL },

	/* Extensions (§7.3). */
	{ "identity", "{'extensions':'x'}", "'extensions'", "dictionary of extensions" },
	{ "identity", "{'extensions':{}}", "'extensions'", "empty dictionary" },
	{ "identity", "{'extensions':{'foo':{'a':1}}}", "'extensions.foo'", "extension-definition id" },
	{ "identity", "{'extensions':{'extension-definition--" UUID "':'x'}}",
	  "'extensions.extension-definition--" UUID "'", "non-empty dictionary" },
	{ "identity", "{'extensions':{'extension-definition--" UUID "':{'x_a':1}}}",
	  "extension_type'", "required" },
	{ "identity", "{'extensions':{'extension-definition--1234':{'extension_type':'new-sdo'}}}",
	  "'extensions.extension-definition--1234'", "not a valid extension-definition id" },
	{ "identity", "{'extensions':{'extension-definition--" UUID "':{'extension_type':"
	  "'property-extension','rank':[]}}}", ".rank'", "empty list" },
	{ "identity", "{'extensions':{'extension-definition--" UUID "':{'extension_type':"
	  "'toplevel-property-extension'}},'rank':5}", NULL, NULL },
	{ "file", "{'extensions':{'x-acme-ext':{'a':1}}}", NULL, NULL },
	{ "file", "{'extensions':{'ntfs-ext':{}}}", "'extensions.ntfs-ext'", "non-empty" },
	{ "file", "{'extensions':{'ntfs-ext':{'alternate_data_streams':[{'size':3}]}}}",
	  "'extensions.ntfs-ext.alternate_data_streams[0].name'", "required" },
	{ "file", "{'extensions':{'archive-ext':{'contains_refs':[" REF("process") "]}}}",
	  "'extensions.archive-ext.contains_refs[0]'", "file or directory" },
	{ "file", "{'extensions':{'windows-pebinary-ext':{'pe_type':'exe','sections':[{'name':"
	  "'.text','size':-1}]}}}", "sections[0].size'", "at least 0" },
	{ "network-traffic", "{'extensions':{'socket-ext':{'address_family':'AF_FOO'}}}",
	  "'extensions.socket-ext.address_family'", "not one of" },
	{ "network-traffic", "{'extensions':{'icmp-ext':{'icmp_type_hex':'0x8','icmp_code_hex':'00'}}}",
	  "'extensions.icmp-ext.icmp_type_hex'", "hex" },
	{ "process", "{'extensions':{'windows-process-ext':{'integrity_level':'extreme'}}}",
	  "integrity_level'", "not one of" },
	{ "user-account", "{'extensions':{'unix-account-ext':{'gid':'x'}}}", "gid'", "integer" },
	{ "custom-sco", "{'created':'not a time'}", NULL, NULL },
	{ "custom-sco", "{'bad-name':1}", "'bad-name'", "property name" },

	/* Cyber-observables (§6). */
	{ "network-traffic", "{'src_port':70000}", "'src_port'", "at most 65535" },
	{ "network-traffic", "{'dst_port':-1}", "'dst_port'", "at least 0" },
	{ "network-traffic", "{'-src_ref':0}", "'src_ref', 'dst_ref'", "at least one" },
	{ "network-traffic", "{'-protocols':0}", "'protocols'", "required" },
	{ "network-traffic", "{'protocols':[]}", "'protocols'", "empty list" },
	{ "network-traffic", "{'is_active':true,'end':'2016-04-06T20:03:48Z'}", "'end'",
	  "'is_active' is true" },
	{ "network-traffic", "{'is_active':false,'end':'2016-04-06T20:03:48Z'}", NULL, NULL },
	{ "network-traffic", "{'src_ref':" REF("file") "}", "'src_ref'", "ipv4-addr" },
	{ "ipv4-addr", "{'value':'300.1.1.1'}", "'value'", "IPv4" },
	{ "ipv4-addr", "{'value':'10.0.0.0/33'}", "'value'", "IPv4" },
	{ "ipv4-addr", "{'value':'2001:db8::1'}", "'value'", "IPv4" },
	{ "ipv4-addr", "{'resolves_to_refs':[" REF("domain-name") "]}", "'resolves_to_refs[0]'",
	  "mac-addr" },
	{ "ipv6-addr", "{'value':'zzzz::1'}", "'value'", "IPv6" },
	{ "ipv6-addr", "{'value':'2001:db8::/129'}", "'value'", "IPv6" },
	{ "ipv6-addr", "{'value':'fe80::1%eth0'}", NULL, NULL },
	{ "mac-addr", "{'value':'D2:FB:49:24:37:18'}", "'value'", "lowercase" },
	{ "mac-addr", "{'value':'d2-fb-49-24-37-18'}", "'value'", "MAC-48" },
	{ "artifact", "{'payload_bin':'not base64!'}", "'payload_bin'", "base64" },
	{ "artifact", "{'url':'https://x/a.bin'}", "'payload_bin', 'url'", "exactly one" },
	{ "artifact", "{'-payload_bin':0,'url':'https://x/a.bin'}", "'hashes'", "required when 'url'" },
	{ "artifact", "{'decryption_key':'pw'}", "'encryption_algorithm'", "required" },
	{ "artifact", "{'encryption_algorithm':'rot13'}", "'encryption_algorithm'", "not one of" },
	{ "email-message", "{'is_multipart':true}", "'body'", "'is_multipart' is true" },
	{ "email-message", "{'body_multipart':[{'body':'x'}]}", "'body_multipart'", "is false" },
	{ "email-message", "{'-body':0,'is_multipart':true,'body_multipart':[{'content_type':'x'}]}",
	  "'body_multipart[0]'", "'body', 'body_raw_ref'" },
	{ "email-message", "{'-is_multipart':0}", "'is_multipart'", "required" },
	{ "email-message", "{'to_refs':[" REF("identity") "]}", "'to_refs[0]'", "email-addr" },
	{ "file", "{'-name':0,'-hashes':0,'size':1}", "'hashes', 'name'", "at least one" },
	{ "file", "{'size':-1}", "'size'", "at least 0" },
	{ "file", "{'hashes':{}}", "'hashes'", "empty dictionary" },
	{ "file", "{'hashes':{'MD5':5}}", "'hashes'", "string" },
	{ "file", "{'hashes':{'md':'ab'}}", "'hashes'", "3-250" },
	{ "file", "{'magic_number_hex':'abc'}", "'magic_number_hex'", "even number" },
	{ "file", "{'parent_directory_ref':" REF("file") "}", "'parent_directory_ref'", "directory" },
	{ "process", "{'-pid':0}", "'extensions', 'is_hidden'", "at least one" },
	{ "process", "{'pid':'1'}", "'pid'", "integer" },
	{ "process", "{'environment_variables':{'A B':'x'}}", "'environment_variables'", "key" },
	{ "x509-certificate", "{'-serial_number':0}", "'is_self_signed'", "at least one" },
	{ "x509-certificate", "{'x509_v3_extensions':{}}", "'x509_v3_extensions'", "empty object" },
	{ "windows-registry-key", "{'values':[{'data_type':'REG_FOO'}]}", "'values[0].data_type'",
	  "not one of" },
	{ "windows-registry-key", "{'values':[]}", "'values'", "empty list" },
	{ "autonomous-system", "{'number':'AS15139'}", "'number'", "integer" },
	{ "domain-name", "{'-value':0}", "'value'", "required" },
	{ "email-addr", "{'belongs_to_ref':" REF("identity") "}", "'belongs_to_ref'", "user-account" },
	{ "directory", "{'-path':0}", "'path'", "required" },
	{ "mutex", "{'-name':0}", "'name'", "required" },
	{ "software", "{'-name':0}", "'name'", "required" },
	{ "url", "{'-value':0}", "'value'", "required" },
	{ "user-account", "{'-user_id':0,'-account_login':0}", "'user_id'", "at least one" },
	{ "ipv4-addr", "{'defanged':'yes'}", "'defanged'", "boolean" },
};

static void
fix_quotes(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			*s = '"';
	}
}

static json_t *
load(const char *text)
{
	char buf[4096];
	json_error_t je;
	json_t *v;

	assert_true(strlen(text) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%s", text);
	fix_quotes(buf);
	v = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		fail_msg("test JSON does not parse: %s: %s", je.text, buf);
	return v;
}

static const char *
base_json(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (strcmp(bases[i].name, name) == 0)
			return bases[i].json;
	}
	fail_msg("no base object '%s'", name);
	return NULL;
}

static void
apply_patch(json_t *obj, const json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v) {
		if (k[0] == '-')
			json_object_del(obj, k + 1);
		else
			json_object_set(obj, k, v);
	}
}

static void
test_bases_valid(void **state)
{
	struct err err = ERR_INIT;
	struct stix_meta m;
	json_t *o;
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		o = load(bases[i].json);
		if (stix_validate_object(o, &m, &err) != 0)
			fail_msg("base '%s' rejected: %s", bases[i].name, err.msg);
		json_decref(o);
	}
}

static void
test_cases(void **state)
{
	struct err err;
	json_t *o, *patch;
	size_t i, failed = 0;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];

		err_clear(&err);
		o = load(base_json(c->base));
		patch = load(c->patch);
		apply_patch(o, patch);
		r = stix_validate_object(o, NULL, &err);
		if (c->want1 == NULL && r != 0) {
			print_error("case %zu (%s %s): rejected: %s\n", i, c->base, c->patch, err.msg);
			failed++;
		} else if (c->want1 != NULL && (r != -LSN_EINVAL || err.code != LSN_EINVAL ||
		    strstr(err.msg, c->want1) == NULL ||
		    (c->want2 != NULL && strstr(err.msg, c->want2) == NULL))) {
			print_error("case %zu (%s %s): want \"%s\" + \"%s\", got %d: %s\n", i,
			    c->base, c->patch, c->want1, c->want2 ? c->want2 : "", r, err.msg);
			failed++;
		}
		json_decref(patch);
		json_decref(o);
	}
	if (failed > 0)
		fail_msg("%zu of %zu rule cases failed", failed, sizeof(cases) / sizeof(cases[0]));
}

/* Every object type, custom ones included, must be reached through the type table. */
static void
test_every_type_has_a_base(void **state)
{
	static const char *const all[] = {
		"attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location",
		"malware", "malware-analysis", "note", "observed-data", "opinion", "report",
		"threat-actor", "tool", "vulnerability", "relationship", "sighting",
		"marking-definition", "language-content", "extension-definition", "artifact",
		"autonomous-system", "directory", "domain-name", "email-addr", "email-message",
		"file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
		"process", "software", "url", "user-account", "windows-registry-key",
		"x509-certificate",
	};
	struct err err = ERR_INIT;
	struct stix_meta m;
	json_t *o;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		o = load(base_json(all[i]));
		assert_int_equal(stix_validate_object(o, &m, &err), 0);
		assert_string_equal(m.type, all[i]);
		/* A type missing from the sorted table would come back as CUSTOM. */
		if (m.kind == STIX_KIND_CUSTOM)
			fail_msg("type '%s' not found in the type table", all[i]);
		json_decref(o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bases_valid),
		cmocka_unit_test(test_every_type_has_a_base),
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests_name("stix_rules", tests, NULL, NULL);
}
