import struct,sys
src,dst,ptype,pval=sys.argv[1],sys.argv[2],sys.argv[3],int(sys.argv[4])
d=bytearray(open(src,'rb').read())
def boxes(buf,start,end):
    p=start
    while p+8<=end:
        size,typ=struct.unpack('>I4s',buf[p:p+8]); yield (p,size,typ.decode('latin1')); p+=size
def bump(off,delta): d[off:off+4]=struct.pack('>I',struct.unpack('>I',d[off:off+4])[0]+delta)
top=list(boxes(d,0,len(d))); meta=[b for b in top if b[2]=='meta'][0]
inner=list(boxes(d,meta[0]+12,meta[0]+meta[1]))
iprp=[b for b in inner if b[2]=='iprp'][0]; iloc=[b for b in inner if b[2]=='iloc'][0]
sub=list(boxes(d,iprp[0]+8,iprp[0]+iprp[1]))
ipco=[b for b in sub if b[2]=='ipco'][0]; ipma=[b for b in sub if b[2]=='ipma'][0]
nprops=len(list(boxes(d,ipco[0]+8,ipco[0]+ipco[1])))
p=ipma[0]+16; assert d[p:p+2]==b'\x00\x01'; cnt=d[p+2]
d[p+3+cnt:p+3+cnt]=bytes([0x80|(nprops+1)]); d[p+2]=cnt+1; bump(ipma[0],1)
end_ipco=ipco[0]+ipco[1]; d[end_ipco:end_ipco]=struct.pack('>I4sB',9,ptype.encode(),pval); bump(ipco[0],9)
bump(iprp[0],10); bump(meta[0],10)
q=iloc[0]+12; assert d[q:q+2]==b'\x44\x40'; n=struct.unpack('>H',d[q+2:q+4])[0]; q+=4
for _ in range(n):
    q+=4; bump(q,10); q+=4; ne=struct.unpack('>H',d[q:q+2])[0]; q+=2+8*ne
open(dst,'wb').write(d)
