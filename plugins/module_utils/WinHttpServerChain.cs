// Copyright: contributors to purview.device_proxy
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The certificate chain of an https probe's server, as raw facts: each certificate (leaf first)
// and the chain's trust status. The chain WinHTTP validated during the handshake
// (WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT) where the OS offers it; otherwise the one Windows
// builds for the server certificate from its caches only (never fetching intermediates, so it
// cannot outlast the probe's deadline). Every context obtained here is freed here.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpNative;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;

namespace ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpServerChain
{
    public static class ServerCertificates
    {
        // Fills ServerChain, ChainStatus and ChainSource; leaves them null when no server
        // certificate was seen (then the answer came from a proxy refusing CONNECT).
        public static void Read(IntPtr request, WinHttpProbeResult result)
        {
            IntPtr chain = IntPtr.Zero;
            int size = IntPtr.Size;
            string source = "winhttp";
            if (!NativeMethods.WinHttpQueryOption(request, NativeMethods.WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT, ref chain, ref size)
                || chain == IntPtr.Zero)
            {
                chain = Build(request);
                source = "built";
            }
            if (chain == IntPtr.Zero) return;
            try
            {
                NativeMethods.CERT_CHAIN_CONTEXT context = (NativeMethods.CERT_CHAIN_CONTEXT)Marshal.PtrToStructure(
                    chain, typeof(NativeMethods.CERT_CHAIN_CONTEXT));
                List<Dictionary<string, object>> elements = new List<Dictionary<string, object>>();
                if (context.cChain > 0)
                {
                    // The first simple chain runs from the server's certificate to a root.
                    NativeMethods.CERT_SIMPLE_CHAIN simple = (NativeMethods.CERT_SIMPLE_CHAIN)Marshal.PtrToStructure(
                        Marshal.ReadIntPtr(context.rgpChain), typeof(NativeMethods.CERT_SIMPLE_CHAIN));
                    for (int i = 0; i < simple.cElement; i++)
                    {
                        NativeMethods.CERT_CHAIN_ELEMENT element = (NativeMethods.CERT_CHAIN_ELEMENT)Marshal.PtrToStructure(
                            Marshal.ReadIntPtr(simple.rgpElement, i * IntPtr.Size), typeof(NativeMethods.CERT_CHAIN_ELEMENT));
                        elements.Add(CertificateFacts(Certificate(element.pCertContext)));
                    }
                }
                result.ServerChain = elements.Count > 0 ? elements : null;
                result.ChainStatus = context.TrustStatus.dwErrorStatus;
                result.ChainSource = source;
            }
            finally
            {
                NativeMethods.CertFreeCertificateChain(chain);
            }
        }

        // Before WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT: the server certificate, and the chain the
        // machine's engine builds for it from what it already has.
        private static IntPtr Build(IntPtr request)
        {
            IntPtr certificate = IntPtr.Zero;
            int size = IntPtr.Size;
            if (!NativeMethods.WinHttpQueryOption(request, NativeMethods.WINHTTP_OPTION_SERVER_CERT_CONTEXT, ref certificate, ref size)
                || certificate == IntPtr.Zero)
            {
                return IntPtr.Zero;
            }
            try
            {
                NativeMethods.CERT_CHAIN_PARA para = new NativeMethods.CERT_CHAIN_PARA();
                para.cbSize = Marshal.SizeOf(typeof(NativeMethods.CERT_CHAIN_PARA));
                IntPtr chain;
                if (!NativeMethods.CertGetCertificateChain(NativeMethods.HCCE_LOCAL_MACHINE, certificate, IntPtr.Zero, IntPtr.Zero,
                    ref para, NativeMethods.CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL, IntPtr.Zero, out chain))
                {
                    return IntPtr.Zero;
                }
                return chain;
            }
            finally
            {
                NativeMethods.CertFreeCertificateContext(certificate);
            }
        }

        // The certificate's DER bytes as CERT_CONTEXT documents them (pbCertEncoded, cbCertEncoded).
        private static X509Certificate2 Certificate(IntPtr context)
        {
            NativeMethods.CERT_CONTEXT cert = (NativeMethods.CERT_CONTEXT)Marshal.PtrToStructure(context, typeof(NativeMethods.CERT_CONTEXT));
            byte[] encoded = new byte[cert.cbCertEncoded];
            Marshal.Copy(cert.pbCertEncoded, encoded, 0, encoded.Length);
            return new X509Certificate2(encoded);
        }

        public static Dictionary<string, object> CertificateFacts(X509Certificate2 certificate)
        {
            Dictionary<string, object> facts = new Dictionary<string, object>();
            facts["thumbprint"] = certificate.Thumbprint.ToLowerInvariant();
            facts["subject"] = certificate.Subject;
            facts["issuer"] = certificate.Issuer;
            return facts;
        }
    }
}
