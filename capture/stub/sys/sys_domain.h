/*
 * capture/stub/sys/sys_domain.h: a stand-in for Darwin's
 * <sys/sys_domain.h> (see stub/sys/kern_event.h): the system domain and
 * its event protocol, values from eventmon-facts.md s1.2.
 */
#ifndef KEV_STUB_SYS_SYS_DOMAIN_H
#define KEV_STUB_SYS_SYS_DOMAIN_H

#define PF_SYSTEM 32
#define AF_SYSTEM 32
#define SYSPROTO_EVENT 1

#endif
